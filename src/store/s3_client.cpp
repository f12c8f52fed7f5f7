#include "store/s3_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <exception>
#include <random>

#include "core/error.hpp"
#include "store/s3_metrics.hpp"
#include "store/s3_transfer.hpp"

namespace haul::store::s3io {
namespace {

using Clock = std::chrono::steady_clock;

// When a pulled body is dropped before its end, up to this many remaining
// bytes are read and dropped to keep the connection for the next request.
constexpr uint64_t kDrainLimit = 256 * 1024;

bool retryable_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

std::chrono::milliseconds backoff(const ClientConfig& config, int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto ceiling = std::min<int64_t>(config.backoff_cap.count(), config.backoff_base.count() << std::min(attempt, 20));
  // Full jitter: uniform in [ceiling/4, ceiling] keeps some spacing.
  std::uniform_int_distribution<int64_t> pick(ceiling / 4, std::max<int64_t>(ceiling, 1));
  return std::chrono::milliseconds(pick(rng));
}

void count_attempt(const Request& request, const Transfer& t) {
  if (long opened = t.connections_opened(); opened > 0) s3_count_connections(static_cast<uint64_t>(opened));
  s3_count_request(request.op, t.response().status);
}

}  // namespace

const std::string* Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
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

const Response& BodyTransfer::response() const { return transfer_->response(); }

size_t BodyTransfer::read(std::span<uint8_t> out) {
  if (!transfer_->body_is_pulled()) return 0;
  return transfer_->read(out);
}

Client::Client(haul::s3::StoreUrl url, haul::s3::Credentials credentials, ClientConfig config)
    : url_(std::move(url)), credentials_(std::move(credentials)), config_(config) {
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

bool Client::retry_after(const Request& request, const Transfer& t, int attempt) {
  bool server_error = t.code() == CURLE_OK && t.response().status >= 500;
  bool transport_error = t.code() != CURLE_OK;
  bool may_retry = request.idempotent && attempt < config_.max_attempts &&
                   (server_error || (transport_error && retryable_curl(t.code())));
  if (may_retry) {
    std::this_thread::sleep_for(backoff(config_, attempt - 1));
    return true;
  }
  if (transport_error) t.throw_failure("after " + std::to_string(attempt) + " attempt(s)");
  return false;
}

Response Client::perform(const Request& request) {
  for (int attempt = 1;; ++attempt) {
    auto handle = acquire();
    auto t = std::make_unique<Transfer>(*handle, url_, credentials_, config_, request, false);
    t->run();
    count_attempt(request, *t);
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
  for (int attempt = 1;; ++attempt) {
    auto handle = acquire();
    auto t = std::make_unique<Transfer>(*handle, url_, credentials_, config_, request, true);
    t->run_to_headers();
    if (!t->ended() && !t->body_is_pulled()) t->run();  // an error status: collect its body
    count_attempt(request, *t);
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
        answered = t.code() == CURLE_OK;
        if (long opened = t.connections_opened(); opened > 0) s3_count_connections(static_cast<uint64_t>(opened));
        s3_count_request("ping", answered ? t.response().status : 0);
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
