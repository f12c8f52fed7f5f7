#pragma once
// Base of the per-object state machines (PutOp, GetOp) and the one-request
// operation (SimpleOp: ls page, rm, metrics). An Op is a Driver that ends
// either with stats() filled or with error() set.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "client/outcome.hpp"
#include "client/request_pool.hpp"
#include "client/report.hpp"
#include "client/request.hpp"
#include "client/retry.hpp"
#include "core/error.hpp"

namespace haul::client {

class Op : public Driver {
 public:
  // Done and no request of this op still in flight (so it may be destroyed).
  bool finished() const override { return finished_ && in_flight_ == 0; }
  const TransferStats& stats() const { return stats_; }
  const std::optional<Error>& error() const { return error_; }

 protected:
  Op(RequestPool& pool, std::string op_name, std::string key);
  // Every finished request passes through here: counts requests and connections,
  // keeps the first request's timings and the last TCP_INFO. A declined
  // request (Request::declined) counts only its connection.
  void account(const Request& r);
  void succeed(int status);
  void fail(Error error);
  std::unique_ptr<Request> new_request(std::string method, std::string path);
  void mark_started();

  RequestPool& pool_;
  RetryPolicy policy_;
  TransferStats stats_;
  std::optional<Error> error_;
  bool finished_ = false;
  bool started_ = false;
  unsigned in_flight_ = 0;  // requests handed out by next() and not yet done()
  std::chrono::steady_clock::time_point start_;
};

// One request, retried by the policy when idempotent.
class SimpleOp final : public Op {
 public:
  SimpleOp(RequestPool& pool, std::unique_ptr<Request> request, std::string op_name, std::string key);
  std::unique_ptr<Request> next() override;
  void done(std::unique_ptr<Request> r) override;
  void interrupt() override;
  // The finished request (answer body, headers) after success; null otherwise.
  std::unique_ptr<Request> take_result() { return std::move(result_); }

 private:
  std::unique_ptr<Request> pending_;
  std::unique_ptr<Request> result_;
  RetryQueue retries_;
};

// Runs one request to completion on the pool; throws its Error on failure.
std::unique_ptr<Request> run_request(RequestPool& pool, std::unique_ptr<Request> request, const std::string& op_name,
                                     const std::string& key);

}  // namespace haul::client
