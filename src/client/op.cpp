#include "client/op.hpp"

namespace haul::client {

Op::Op(RequestPool& pool, std::string op_name, std::string key) : pool_(pool), policy_(pool.retry_policy()) {
  stats_.op = std::move(op_name);
  stats_.key = std::move(key);
}

void Op::mark_started() {
  if (started_) return;
  started_ = true;
  start_ = std::chrono::steady_clock::now();
}

void Op::account(const Request& r) {
  stats_.connections_opened += r.connections_opened;
  if (r.declined) return;  // never sent: no timings, not a request on the wire
  if (stats_.requests == 0) {
    stats_.timings = r.timings;
    stats_.connection_reused = r.connections_opened == 0 && r.failure != Failure::connect;
  }
  stats_.requests++;
  if (r.tcp) stats_.tcp = r.tcp;
}

void Op::succeed(int status) {
  stats_.status = status;
  stats_.total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  finished_ = true;
}

void Op::fail(Error error) {
  if (!error_) error_ = std::move(error);
  stats_.total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  finished_ = true;
}

std::unique_ptr<Request> Op::new_request(std::string method, std::string path) {
  auto r = std::make_unique<Request>();
  r->method = std::move(method);
  r->path = std::move(path);
  r->owner = this;
  return r;
}

SimpleOp::SimpleOp(RequestPool& pool, std::unique_ptr<Request> request, std::string op_name, std::string key)
    : Op(pool, std::move(op_name), std::move(key)), pending_(std::move(request)) {
  pending_->owner = this;
}

std::unique_ptr<Request> SimpleOp::next() {
  mark_started();
  if (finished_) return nullptr;
  auto r = pending_ ? std::move(pending_) : retries_.pop_ready(std::chrono::steady_clock::now());
  if (r) ++in_flight_;
  return r;
}

void SimpleOp::done(std::unique_ptr<Request> r) {
  --in_flight_;
  account(*r);
  if (!r->ok()) {
    if (!finished_ && schedule_retry(r, policy_, retries_)) return;
    fail(request_error(stats_.op, stats_.key, *r));
    return;
  }
  stats_.bytes = r->body_bytes_received + r->body_bytes_sent;
  int status = r->status;
  result_ = std::move(r);
  succeed(status);
}

void SimpleOp::interrupt() {
  retries_.clear();
  pending_.reset();
  if (!finished_) fail(Error(ErrorKind::internal, stats_.op + ": interrupted"));
}

std::unique_ptr<Request> run_request(RequestPool& pool, std::unique_ptr<Request> request, const std::string& op_name,
                                     const std::string& key) {
  SimpleOp op(pool, std::move(request), op_name, key);
  pool.run(op, 1);
  if (op.error()) throw *op.error();
  return op.take_result();
}

}  // namespace haul::client
