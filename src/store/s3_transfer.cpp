#include "store/s3_transfer.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/error.hpp"

namespace haul::store::s3io {
namespace {

// Bytes a pulled body may hold beyond the caller's buffer before the
// transfer pauses itself (curl hands over at most 16 KiB at a time).
constexpr size_t kSpillLimit = 64 * 1024;

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

std::string query_string(const Headers& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += haul::s3::uri_encode(name, false);
    if (!value.empty()) out += "=" + haul::s3::uri_encode(value, false);
  }
  return out;
}

}  // namespace

// curl's C callbacks, with access to the transfer they serve.
struct TransferCallbacks {
  static size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
      // A new response (after 100 Continue or a redirect): start over.
      t->response_.headers.clear();
      t->headers_done_ = false;
      size_t sp = line.find(' ');
      t->response_.status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
      return size * count;
    }
    if (trim(line).empty()) {
      if (t->response_.status >= 200) t->headers_done_ = true;
      return size * count;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      t->response_.headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    return size * count;
  }

  static size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    if (!t->body_is_pulled()) {
      if (t->response_.body.size() + n > t->max_body_) return 0;  // fails the transfer: CURLE_WRITE_ERROR
      t->response_.body.append(data, n);
      return n;
    }
    if (t->discard_) {
      t->delivered_ += n;
      return n;
    }
    size_t room = t->target_.size() - t->target_filled_;
    if (room == 0 && t->spill_.size() >= kSpillLimit) {
      // The caller's buffer is full and the spill too: curl keeps this chunk
      // and offers it again after curl_easy_pause(CURLPAUSE_CONT).
      t->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    size_t into = std::min(n, room);
    if (into > 0) std::memcpy(t->target_.data() + t->target_filled_, data, into);  // (no target: null)
    t->target_filled_ += into;
    t->spill_.insert(t->spill_.end(), data + into, data + n);
    t->delivered_ += n;
    return n;
  }

  static size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = std::min(size * count, t->upload_.size() - t->upload_pos_);
    std::copy_n(t->upload_.data() + t->upload_pos_, n, buffer);
    t->upload_pos_ += n;
    return n;
  }

  // Rewinding for curl's own retry on a dead reused connection.
  static int on_seek(void* user, curl_off_t offset, int origin) {
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->upload_.size()) return CURL_SEEKFUNC_FAIL;
    t->upload_pos_ = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }
};

Handle::Handle() : easy(curl_easy_init()), multi(curl_multi_init()) {
  if (!easy || !multi) {
    if (easy) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
    throw Error(ErrorKind::internal, "curl_easy_init / curl_multi_init failed");
  }
}

Handle::~Handle() {
  curl_multi_cleanup(multi);  // closes the cached connection
  curl_easy_cleanup(easy);
}

Transfer::Transfer(Handle& handle, const haul::s3::StoreUrl& url, const haul::s3::Credentials& credentials,
                   const ClientConfig& config, const Request& request, bool pull)
    : handle_(handle), op_(request.op), host_(url.host), max_body_(config.max_response_body), upload_(request.body),
      pull_(pull) {
  haul::s3::RequestTarget target = haul::s3::request_target(url, request.key);
  std::string date = haul::s3::amz_date(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  // UNSIGNED-PAYLOAD: bodies are ciphertext already authenticated by the
  // object format, hashing each part would cost a second pass over it, and
  // streamed GETs cannot be hashed up front. RGW and AWS accept it.
  haul::s3::SigningRequest signing{request.method, target.canonical_uri, request.query,
                                   {{"host", target.host}, {"x-amz-date", date},
                                    {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}},
                                   "UNSIGNED-PAYLOAD"};
  if (!credentials.session_token.empty()) signing.headers.emplace_back("x-amz-security-token", credentials.session_token);
  for (const auto& h : request.headers) signing.headers.push_back(h);
  haul::s3::SigningScope scope{date, url.region, "s3"};

  auto add_header = [this](const std::string& line) {
    curl_slist* next = curl_slist_append(headers_, line.c_str());
    if (!next) throw Error(ErrorKind::internal, "out of memory building request headers");
    headers_ = next;
  };
  for (const auto& [name, value] : signing.headers) add_header(name + ": " + value);
  add_header("Authorization: " + haul::s3::authorization(credentials, scope, signing));
  add_header("Expect:");  // no 100-continue round trip before bodies
  if (request.method == "POST") add_header("Content-Type: application/xml");

  CURL* c = handle_.easy;
  // reset keeps the live connection and DNS cache, drops every option.
  curl_easy_reset(c);
  url_ = target.url + query_string(request.query);
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf_);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, TransferCallbacks::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, TransferCallbacks::on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
  if (pull || request.body.size() > (1u << 20)) {
    // Long bodies: no deadline for the whole, a floor on the rate instead.
    // curl skips the check while the transfer is paused (a slow reader of a
    // pulled body is the gateway's business, not the backend's).
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config.stall_timeout.count()));
  } else {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config.request_timeout.count()));
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, TransferCallbacks::on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, this);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, TransferCallbacks::on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, this);
  } else if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  CURLMcode mc = curl_multi_add_handle(handle_.multi, c);
  if (mc != CURLM_OK) {
    curl_slist_free_all(headers_);
    throw Error(ErrorKind::internal, std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc));
  }
  added_ = true;
}

Transfer::~Transfer() {
  if (added_) curl_multi_remove_handle(handle_.multi, handle_.easy);
  // The next request resets every option; until then nothing may point here.
  curl_easy_setopt(handle_.easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(handle_.easy, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers_);
}

bool Transfer::body_is_pulled() const { return pull_ && response_.status >= 200 && response_.status < 300; }

long Transfer::connections_opened() const {
  long connects = 0;
  if (curl_easy_getinfo(handle_.easy, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK) return 0;
  return connects;
}

void Transfer::drive(const std::function<bool()>& until) {
  while (!ended_) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(handle_.multi, &running);
    if (mc == CURLM_OK && running == 0) {
      finish();
      return;
    }
    if (mc == CURLM_OK && until && until()) return;
    if (mc == CURLM_OK) mc = curl_multi_poll(handle_.multi, nullptr, 0, 1000, nullptr);
    if (mc != CURLM_OK) {
      ended_ = true;
      code_ = CURLE_FAILED_INIT;
      error_text_ = std::string("curl multi: ") + curl_multi_strerror(mc);
      return;
    }
  }
}

void Transfer::finish() {
  int left = 0;
  code_ = CURLE_GOT_NOTHING;  // unless curl says how it ended
  while (CURLMsg* msg = curl_multi_info_read(handle_.multi, &left)) {
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == handle_.easy) code_ = msg->data.result;
  }
  ended_ = true;
  error_text_ = errbuf_[0] ? errbuf_ : curl_easy_strerror(code_);
}

void Transfer::run() { drive(nullptr); }

void Transfer::run_to_headers() {
  drive([this] { return headers_done_; });
}

void Transfer::resume() {
  if (!paused_) return;
  paused_ = false;  // before the call: it may run on_write, which may pause again
  curl_easy_pause(handle_.easy, CURLPAUSE_CONT);
}

size_t Transfer::read(std::span<uint8_t> out) {
  size_t done = std::min(out.size(), spill_.size());
  std::copy_n(spill_.begin(), done, out.begin());
  spill_.erase(spill_.begin(), spill_.begin() + static_cast<std::ptrdiff_t>(done));
  // Only with the spill empty may new bytes go straight into the caller's buffer.
  while (done < out.size() && spill_.empty() && !ended_) {
    target_ = out.subspan(done);
    target_filled_ = 0;
    resume();
    drive([this] { return target_filled_ == target_.size() || paused_; });
    done += target_filled_;
    target_ = {};
  }
  if (ended_ && code_ != CURLE_OK) throw_failure("while the body was read");
  return done;
}

bool Transfer::drain(uint64_t limit) {
  if (!ended_) {
    const std::string* length = response_.header("content-length");
    if (!length) return false;
    uint64_t expected = std::strtoull(length->c_str(), nullptr, 10);
    if (expected < delivered_ || expected - delivered_ > limit) return false;
    discard_ = true;
    spill_.clear();
    resume();
    drive(nullptr);
  }
  return code_ == CURLE_OK;
}

void Transfer::throw_failure(const std::string& when) const {
  // The backend's address and curl's own text (which names it) are for the
  // log only (Error's private detail); clients read curl's generic
  // description of the failure.
  std::string what = "S3 backend " + op_ + " failed " + when + ": " + curl_easy_strerror(code_);
  std::string detail = host_ + ": " + error_text_;
  if (code_ == CURLE_OPERATION_TIMEDOUT) throw Error(ErrorKind::backend_timeout, what, detail);
  throw Error(ErrorKind::backend_unavailable, what, detail);
}

}  // namespace haul::store::s3io
