#include "store/s3_client.hpp"

#include <algorithm>
#include <exception>

#include "core/error.hpp"
#include "store/s3_metrics.hpp"
#include "store/s3_transfer.hpp"

namespace haul::store::s3io {
namespace {

using Clock = std::chrono::steady_clock;

// When a pulled body is dropped before its end, up to this many remaining
// bytes are read and dropped to keep the connection for the next request.
constexpr uint64_t kDrainLimit = 256 * 1024;

}  // namespace

const std::string* Response::header(std::string_view name) const {
  return http_client::find_header(headers, name);
}

BodyTransfer::BodyTransfer(Client& client, std::unique_ptr<Handle> handle, std::unique_ptr<Transfer> transfer)
    : client_(client), handle_(std::move(handle)), transfer_(std::move(transfer)) {}

BodyTransfer::~BodyTransfer() {
  if (transfer_->body_is_pulled()) transfer_->drain(kDrainLimit);
  // Detaches the handle; a transfer still running closes its connection. The
  // handle itself (and its other cached connections) serves the next request.
  transfer_.reset();
  client_.release(std::move(handle_));
}

const Response& BodyTransfer::response() const {
  return transfer_->response();
}

size_t BodyTransfer::read(std::span<uint8_t> out) {
  if (!transfer_->body_is_pulled()) return 0;
  return transfer_->read(out);
}

Client::Client(haul::s3::StoreUrl url, haul::s3::Credentials credentials, ClientConfig config)
    : url_(std::move(url)),
      credentials_(std::move(credentials)),
      config_(std::move(config)),
      metrics_(s3_metrics_for(config_.store_name)) {
  if (config_.keep_warm.count() > 0) keep_warm_ = std::thread([this] { keep_warm_loop(); });
}

Client::~Client() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (keep_warm_.joinable()) keep_warm_.join();
}

std::unique_ptr<Handle> Client::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return std::make_unique<Handle>();
}

void Client::release(std::unique_ptr<Handle> handle) {
  handle->last_used = Clock::now();
  std::lock_guard lock(mutex_);
  if (idle_.size() < config_.max_idle_handles && !stopping_) idle_.push_back(std::move(handle));
}

void Client::count_attempt(std::string_view op, const Transfer& t) {
  if (long opened = t.connections_opened(); opened > 0) metrics_.count_connections(static_cast<uint64_t>(opened));
  metrics_.count_request(op, t.response().status);  // 0 (no status): "error"
}

bool Client::retry_after(const Request& request, const Transfer& t, unsigned attempt) {
  http_client::Failure failure = t.outcome().failure;
  const int status = static_cast<int>(t.response().status);
  if (failure == http_client::Failure::none && status >= 400) failure = http_client::Failure::http;
  if (http_client::should_retry(config_.retry, failure, status, request.idempotent, attempt)) {
    std::this_thread::sleep_for(http_client::backoff(config_.retry, attempt));
    return true;
  }
  if (t.outcome().failure != http_client::Failure::none)
    t.throw_failure("after " + std::to_string(attempt) + " attempt(s)");
  return false;
}

Response Client::perform(const Request& request) {
  for (unsigned attempt = 1;; ++attempt) {
    auto handle = acquire();
    auto t = std::make_unique<Transfer>(*handle, url_, credentials_, config_, request, false);
    t->run();
    count_attempt(request.op, *t);
    bool retry = false;
    std::exception_ptr failure;
    try {
      retry = retry_after(request, *t, attempt);
    } catch (...) {
      failure = std::current_exception();
    }
    Response response = std::move(t->response());
    // The transfer detaches from the handle before the handle goes back to
    // the pool, where another thread may take it at once.
    t.reset();
    release(std::move(handle));
    if (failure) std::rethrow_exception(failure);
    if (!retry) return response;
  }
}

std::unique_ptr<BodyTransfer> Client::open_body(const Request& request) {
  for (unsigned attempt = 1;; ++attempt) {
    auto handle = acquire();
    auto t = std::make_unique<Transfer>(*handle, url_, credentials_, config_, request, true);
    t->run_to_headers();
    if (!t->ended() && !t->body_is_pulled()) t->run();  // an error status: collect its body
    count_attempt(request.op, *t);
    bool retry = false;
    if (t->ended()) {
      try {
        retry = retry_after(request, *t, attempt);
      } catch (...) {
        t.reset();
        release(std::move(handle));
        throw;
      }
    }
    if (!retry) return std::unique_ptr<BodyTransfer>(new BodyTransfer(*this, std::move(handle), std::move(t)));
    t.reset();
    release(std::move(handle));
  }
}

void Client::keep_warm_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, config_.keep_warm / 2);
    if (stopping_) break;
    // Take the handles idle for longer than keep_warm out of the pool and
    // ping each on its own connection; put back the ones that answered.
    auto now = Clock::now();
    std::vector<std::unique_ptr<Handle>> stale;
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (now - (*it)->last_used >= config_.keep_warm) {
        stale.push_back(std::move(*it));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
    if (stale.empty()) continue;
    lock.unlock();
    Request ping{"ping", "HEAD", "", {}, {}, {}, true};
    std::vector<std::unique_ptr<Handle>> alive;
    for (auto& h : stale) {
      bool answered = false;
      {
        Transfer t(*h, url_, credentials_, config_, ping, false);
        t.run();
        answered = t.outcome().failure == http_client::Failure::none;
        count_attempt("ping", t);
      }
      if (answered) {
        h->last_used = Clock::now();
        alive.push_back(std::move(h));
      }
    }
    lock.lock();
    for (auto& h : alive) {
      if (idle_.size() < config_.max_idle_handles) idle_.insert(idle_.begin(), std::move(h));
    }
  }
  idle_.clear();
}

}  // namespace haul::store::s3io
