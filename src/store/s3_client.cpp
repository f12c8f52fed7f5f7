#include "store/s3_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <random>

#include "core/error.hpp"
#include "store/s3_metrics.hpp"

namespace haul::store::s3io {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

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

// One attempt's state, reached from curl's C callbacks.
struct Transfer {
  Response response;
  const BodyStream* stream = nullptr;
  size_t max_body = 0;
  bool started = false;          // on_start called
  bool stopped = false;          // the stream asked to stop
  bool delivered_any = false;    // a body byte went to the stream
  std::exception_ptr error;      // thrown by a stream callback
  std::span<const uint8_t> upload;
  size_t upload_pos = 0;

  bool streaming() const { return stream && response.status >= 200 && response.status < 300; }

  // Calls on_start once; false when the transfer must stop.
  bool start() {
    if (started) return !stopped;
    started = true;
    try {
      if (stream->on_start && !stream->on_start(response)) stopped = true;
    } catch (...) {
      error = std::current_exception();
      stopped = true;
    }
    return !stopped;
  }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (after 100 Continue or a redirect): start over.
    t->response.headers.clear();
    size_t sp = line.find(' ');
    t->response.status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->streaming()) {
    if (!t->start()) return 0;
    try {
      t->delivered_any = true;
      if (!t->stream->on_bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), n))) {
        t->stopped = true;
        return 0;
      }
    } catch (...) {
      t->error = std::current_exception();
      t->stopped = true;
      return 0;
    }
    return n;
  }
  if (t->response.body.size() + n > t->max_body) return 0;  // fails the attempt: CURLE_WRITE_ERROR
  t->response.body.append(data, n);
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t->upload.size() - t->upload_pos);
  std::copy_n(t->upload.data() + t->upload_pos, n, buffer);
  t->upload_pos += n;
  return n;
}

// Rewinding for curl's own retry on a dead reused connection.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->upload.size()) return CURL_SEEKFUNC_FAIL;
  t->upload_pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::string query_string(const Headers& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += haul::s3::uri_encode(name, false);
    if (!value.empty()) out += "=" + haul::s3::uri_encode(value, false);
  }
  return out;
}

struct SList {
  curl_slist* list = nullptr;
  ~SList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) throw Error(ErrorKind::internal, "out of memory building request headers");
    list = next;
  }
};

}  // namespace

const std::string* Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

struct Client::Handle {
  CURL* curl = nullptr;
  Clock::time_point last_used = Clock::now();
  Handle() : curl(curl_easy_init()) {
    if (!curl) throw Error(ErrorKind::internal, "curl_easy_init failed");
  }
  ~Handle() { curl_easy_cleanup(curl); }
};

struct Client::Attempt {
  CURLcode code = CURLE_OK;
  std::string curl_error;
  Transfer transfer;
};

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

std::unique_ptr<Client::Handle> Client::acquire() {
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

Client::Attempt Client::attempt_once(Handle& handle, const Request& request, const BodyStream* stream) {
  Attempt a;
  Transfer& t = a.transfer;
  t.stream = stream;
  t.max_body = config_.max_response_body;
  t.upload = request.body;

  haul::s3::RequestTarget target = haul::s3::request_target(url_, request.key);
  std::string date = haul::s3::amz_date(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  // UNSIGNED-PAYLOAD: bodies are ciphertext already authenticated by the
  // object format, hashing each part would cost a second pass over it, and
  // streamed GETs cannot be hashed up front. RGW and AWS accept it.
  haul::s3::SigningRequest signing{request.method, target.canonical_uri, request.query,
                                   {{"host", target.host}, {"x-amz-date", date},
                                    {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}},
                                   "UNSIGNED-PAYLOAD"};
  if (!credentials_.session_token.empty()) signing.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  for (const auto& h : request.headers) signing.headers.push_back(h);
  haul::s3::SigningScope scope{date, url_.region, "s3"};

  SList headers;
  for (const auto& [name, value] : signing.headers) headers.add(name + ": " + value);
  headers.add("Authorization: " + haul::s3::authorization(credentials_, scope, signing));
  headers.add("Expect:");  // no 100-continue round trip before bodies
  if (request.method == "POST") headers.add("Content-Type: application/xml");

  CURL* c = handle.curl;
  // reset keeps the live connection and DNS cache, drops every option.
  curl_easy_reset(c);
  std::string full_url = target.url + query_string(request.query);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, full_url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  bool long_body = stream != nullptr || request.body.size() > (1u << 20);
  if (long_body) {
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.stall_timeout.count()));
  } else {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
  } else if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  a.code = curl_easy_perform(c);
  a.curl_error = errbuf[0] ? errbuf : curl_easy_strerror(a.code);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  long connects = 0;
  if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    s3_count_connections(static_cast<uint64_t>(connects));
  }
  // A 2xx answer with an empty body never reached on_write: start it now.
  if (a.code == CURLE_OK && t.streaming() && !t.started) t.start();
  return a;
}

Response Client::perform(const Request& request, const BodyStream* stream) {
  for (int attempt = 1;; ++attempt) {
    auto handle = acquire();
    Attempt a = attempt_once(*handle, request, stream);
    Transfer& t = a.transfer;
    bool answered = a.code == CURLE_OK || (t.stopped && t.response.status > 0);
    s3_count_request(request.op, answered || t.response.status > 0 ? t.response.status : 0);
    release(std::move(handle));

    if (t.error) std::rethrow_exception(t.error);
    if (t.stopped) return std::move(t.response);  // the caller's stream stopped it

    bool server_error = a.code == CURLE_OK && t.response.status >= 500;
    bool transport_error = a.code != CURLE_OK;
    bool may_retry = request.idempotent && !t.delivered_any && attempt < config_.max_attempts &&
                     (server_error || (transport_error && retryable_curl(a.code)));
    if (may_retry) {
      std::this_thread::sleep_for(backoff(config_, attempt - 1));
      continue;
    }
    if (transport_error) {
      // The backend's address and curl's own text (which names it) are for
      // the log only (Error's private detail); clients read curl's generic
      // description of the failure.
      std::string what = "S3 backend " + std::string(request.op) + " failed after " + std::to_string(attempt) +
                         " attempt(s): " + curl_easy_strerror(a.code);
      std::string detail = url_.host + ": " + a.curl_error;
      if (a.code == CURLE_OPERATION_TIMEDOUT) throw Error(ErrorKind::backend_timeout, what, detail);
      throw Error(ErrorKind::backend_unavailable, what, detail);
    }
    return std::move(t.response);
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
      Attempt a = attempt_once(*h, ping, nullptr);
      s3_count_request("ping", a.code == CURLE_OK ? a.transfer.response.status : 0);
      if (a.code == CURLE_OK) {
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
