#pragma once
// Tests only: a RequestPool that runs the client's state machines without
// sockets. Each request gets the answer a script gives it (status, headers,
// body, or a transport failure instead), over a "connection" whose TCP RTT
// the test sets. Everything else is the client's own code: the run loop
// (RequestPool::run: filling, warm-ups, interrupt), the transfer callbacks
// (RequestTransfer: the body read from its Source and hashed, the answer
// written to its Sink or captured), the stripes' RTT check (admit) and the
// classification of each outcome (record_outcome). Only libcurl is missing.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/request_pool.hpp"
#include "client/transfer.hpp"
#include "http_client/failure.hpp"
#include "http_client/response_head.hpp"

namespace haul::client::testing {

// What the "gateway" answers one request.
struct Answer {
  int status = 200;
  http_client::Headers headers;  // lower-case names
  std::string body;
  // connect / transport / timeout: no answer came (status and body unused).
  http_client::Failure failure = http_client::Failure::none;
  long connections_opened = 0;
};

// Every request the pool started, in order.
struct Sent {
  std::string method, path;
  std::vector<std::string> headers;
  std::string body;  // the bytes read from its source (PUT) or its post_body
  unsigned attempt = 1;
  uint32_t min_rtt_us = 0;
  bool declined = false;       // refused before a byte went out
  bool cancelled = false;      // taken back by an interrupt before it was answered
  size_t answered_before = 0;  // answers given before it started
  size_t answered_as = 0;      // its answer was the n-th given (0: none)
  std::string line() const { return method + " " + path; }
};

// The answer to r, which sent `body` (PUT bytes or POST JSON).
using Script = std::function<Answer(const Request& r, const std::string& body)>;

class ScriptedPool final : public RequestPool {
 public:
  ScriptedPool(const ClientConfig& config, Script script) : RequestPool(config), script_(std::move(script)) {}
  ~ScriptedPool() override;

  // The TCP RTT of every connection (TCP_INFO rtt and min_rtt); nullopt: no TCP_INFO.
  void set_connection_rtt(std::optional<uint32_t> rtt_us) { rtt_us_ = rtt_us; }
  // Answers at most n started requests per round of the run loop (default:
  // all of them), the newest first when newest_first.
  void answer_per_round(size_t n, bool newest_first = false) {
    per_round_ = n;
    newest_first_ = newest_first;
  }
  // Requests for which held() is true are answered last: only once nothing
  // else is waiting for an answer (a connection whose handshake lost its SYN).
  void hold(std::function<bool(const Request&)> held) { held_ = std::move(held); }
  // Raises the interrupt flag (as SIGINT does) once this many answers were given.
  void interrupt_after(size_t answers) { interrupt_after_ = answers; }

  // HTTP/2 connections the streams spread over (Pool: --stream-connections).
  void set_stream_connections(unsigned n) { stream_connections_ = n; }
  unsigned stream_connections() const override { return stream_connections_; }

  bool cold() const override { return sent_.empty(); }
  void widen(unsigned n) override { widened_to_ = n; }
  void narrow() override { widened_to_ = 0; }
  unsigned widened_to() const { return widened_to_; }

  const std::vector<Sent>& sent() const { return sent_; }
  // How many started requests match method and start with path_prefix.
  size_t count(const std::string& method, const std::string& path_prefix = "") const;
  size_t most_in_flight() const { return most_in_flight_; }
  // How often the run loop found the parts in flight halved (bulk_senders_halved).
  unsigned halvings() const { return halvings_; }

 private:
  struct Started {
    std::unique_ptr<Request> request;
    size_t index;  // into sent_
  };
  // The stripes' check over a connection with the scripted RTT.
  class Gate final : public ConnectionGate {
   public:
    explicit Gate(ScriptedPool& pool) : pool_(pool) {}
    bool before_request(Request& r, int) override;

   private:
    ScriptedPool& pool_;
  };

  void start(std::unique_ptr<Request> r) override;
  std::vector<std::unique_ptr<Request>> collect() override;
  void wait(int) override {}
  std::vector<std::unique_ptr<Request>> cancel_all() override;
  void bulk_senders_halved() override { ++halvings_; }
  std::unique_ptr<Request> answer(Started started);
  std::optional<net::TcpInfo> connection_info() const;

  Script script_;
  Gate gate_{*this};
  std::optional<uint32_t> rtt_us_;
  size_t per_round_ = SIZE_MAX;
  bool newest_first_ = false;
  std::function<bool(const Request&)> held_;
  std::optional<size_t> interrupt_after_;
  size_t answered_ = 0, most_in_flight_ = 0;
  unsigned widened_to_ = 0, halvings_ = 0;
  unsigned stream_connections_ = 1;
  std::deque<Started> queue_;
  std::vector<Sent> sent_;
};

// Tests only: the bytes of a download in memory, random access, with the
// SHA-256 read-back of a file sink.
class StringSink final : public Sink {
 public:
  void write_at(uint64_t offset, const char* data, size_t len) override;
  std::optional<std::string> sha256_of_written(uint64_t size) override;
  void commit(uint64_t size) override { committed = size; }
  std::string bytes;
  std::optional<uint64_t> committed;
};

std::string sha256_hex(const std::string& bytes);

// The gateway's answer to a HEAD or GET (whole, or one Range: 206, 416 past
// the end) of `object` stored with `etag` (docs/api.md). Objects up to
// kSmallWholeAnswer answered whole carry X-Haul-Sha256 on the GET too.
constexpr uint64_t kSmallWholeAnswer = 200 * 1024;
Answer object_answer(const Request& r, const std::string& object, const std::string& etag);

}  // namespace haul::client::testing
