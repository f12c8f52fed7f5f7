#include "client/op.hpp"

namespace haul::client {

Op::Op(Pool& pool, std::string op_name, std::string key) : pool_(pool) {
  policy_.max_attempts = pool.config().retries;
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

ErrorKind error_kind_of(const Request& r) {
  switch (r.failure) {
    case Failure::connect:
    case Failure::transport:
      return ErrorKind::backend_unavailable;
    case Failure::timeout:
      return ErrorKind::backend_timeout;
    case Failure::local:
      return ErrorKind::io;
    case Failure::none:
    case Failure::http:
      break;
  }
  switch (r.status) {
    case 400: return ErrorKind::bad_request;
    case 401: case 403: return ErrorKind::unauthorized;
    case 404: return ErrorKind::not_found;
    case 409: return ErrorKind::conflict;
    case 411: return ErrorKind::length_required;
    case 413: return ErrorKind::payload_too_large;
    case 416: return ErrorKind::range_not_satisfiable;
    case 429: return ErrorKind::too_many_requests;
    case 501: return ErrorKind::not_implemented;
    case 502: case 503: return ErrorKind::backend_unavailable;
    case 504: return ErrorKind::backend_timeout;
    case 507: return ErrorKind::io;
    default: return ErrorKind::internal;
  }
}

Error request_error(const std::string& op, const std::string& key, const Request& r) {
  std::string prefix = key.empty() ? op : op + " " + key;
  return Error(error_kind_of(r), prefix + ": " + r.error);
}

SimpleOp::SimpleOp(Pool& pool, std::unique_ptr<Request> request, std::string op_name, std::string key)
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

std::unique_ptr<Request> run_request(Pool& pool, std::unique_ptr<Request> request, const std::string& op_name,
                                     const std::string& key) {
  SimpleOp op(pool, std::move(request), op_name, key);
  pool.run(op, 1);
  if (op.error()) throw *op.error();
  return op.take_result();
}

}  // namespace haul::client
