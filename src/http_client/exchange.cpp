#include "http_client/exchange.hpp"

#include <curl/curl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <system_error>

#include "core/error.hpp"
#include "http_client/tls_connection.hpp"

namespace haul::http_client {

std::optional<size_t> Handler::read_body(std::span<char>) {
  return 0;
}
Handler::Take Handler::on_body(const ResponseHead&, std::string_view) {
  return Take::all;
}
bool Handler::before_send(int) {
  return true;
}

Handler::Take BodyCollector::on_body(const ResponseHead&, std::string_view data) {
  bytes += data.size();
  if (text.size() < keep_) text.append(data.substr(0, keep_ - text.size()));
  return Take::all;
}

void SocketHooks::on_open(int) {}
void SocketHooks::on_close(int) {}

// libcurl's C callbacks: each gets the Exchange (or the SocketHooks) it serves.
struct ExchangeCallbacks {
  static size_t header(char* data, size_t size, size_t count, void* user) {
    auto* x = static_cast<Exchange*>(user);
    const std::string_view line(data, size * count);
    x->head_.feed_line(line);
    // The head's blank line: the connection is still the exchange's here
    // (afterwards libcurl may hand it back to its cache).
    if (x->inspect_tls_ && (line == "\r\n" || line == "\n")) x->tls_connection_ = read_tls_connection(x->easy_.get());
    return size * count;
  }

  static size_t write(char* data, size_t size, size_t count, void* user) {
    auto* x = static_cast<Exchange*>(user);
    const size_t n = size * count;
    switch (x->handler_->on_body(x->head_, std::string_view(data, n))) {
      case Handler::Take::all: return n;
      case Handler::Take::pause: return CURL_WRITEFUNC_PAUSE;
      case Handler::Take::stop: return n == 0 ? 1 : 0;  // any other count fails it: CURLE_WRITE_ERROR
    }
    return 0;
  }

  static size_t read(char* buffer, size_t size, size_t count, void* user) {
    auto* x = static_cast<Exchange*>(user);
    const size_t want = size * count;
    if (x->streamed_) {
      std::optional<size_t> n = x->handler_->read_body(std::span<char>(buffer, want));
      return n ? std::min(*n, want) : CURL_READFUNC_ABORT;
    }
    const size_t n = std::min(want, x->body_.size() - x->body_pos_);
    if (n > 0) std::memcpy(buffer, x->body_.data() + x->body_pos_, n);
    x->body_pos_ += n;
    return n;
  }

  // libcurl resends a body when a reused connection turns out dead: an
  // in-memory body rewinds; a streamed one cannot (the exchange fails and
  // the caller's retry policy decides).
  static int seek(void* user, curl_off_t offset, int origin) {
    auto* x = static_cast<Exchange*>(user);
    if (x->streamed_) return CURL_SEEKFUNC_CANTSEEK;
    if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > x->body_.size()) return CURL_SEEKFUNC_FAIL;
    x->body_pos_ = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  static int prereq(void* user, char*, char*, int, int local_port) {
    auto* x = static_cast<Exchange*>(user);
    return x->handler_->before_send(local_port) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
  }

  static int sockopt(void* user, curl_socket_t fd, curlsocktype purpose) {
    if (purpose == CURLSOCKTYPE_IPCXN) static_cast<SocketHooks*>(user)->on_open(fd);
    return CURL_SOCKOPT_OK;
  }

  static int closesocket(void* user, curl_socket_t fd) {
    static_cast<SocketHooks*>(user)->on_close(fd);
    return ::close(fd);
  }

  // Verification stays libcurl's default (peer and host checked against the
  // system's store) unless the options say otherwise.
  static void apply_tls(CURL* c, const Options& o, TlsAttachment& attachment) {
    const TlsOptions& tls = o.tls;
    if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.pin_sha256.empty()) {
      // A malformed pin (callers validate it) goes as it is: libcurl then
      // fails the exchange instead of it running unpinned.
      const std::string pin = curl_pin(tls.pin_sha256).value_or(tls.pin_sha256);
      curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pin.c_str());
    }
    if (tls.insecure) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    attachment = {};
    if (o.tls_sessions && o.url.starts_with("https://")) {
      attachment.key = session_key(url_host_port(o.url), tls);
      o.tls_sessions->attach(c, attachment);
    }
  }
};

Exchange::Exchange() {
  global_init();
  easy_.reset(curl_easy_init());
  if (!easy_) throw Error(ErrorKind::internal, "curl_easy_init failed");
}

Exchange::~Exchange() = default;

void Exchange::prepare(const Options& o, Handler& handler) {
  CURL* c = easy_.get();
  // Drops every option; keeps the live connection and the DNS cache.
  curl_easy_reset(c);
  handler_ = &handler;
  head_.clear();
  inspect_tls_ = o.inspect_tls;
  tls_connection_.reset();
  errbuf_[0] = 0;
  body_ = o.body;
  body_pos_ = 0;
  streamed_ = o.streamed_size.has_value();

  curl_slist* list = nullptr;
  auto append = [&list](const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) {
      curl_slist_free_all(list);
      throw Error(ErrorKind::internal, "out of memory building request headers");
    }
    list = next;
  };
  for (const auto& h : o.headers) append(h);
  // Never wait for 100 Continue: that costs a round trip on every upload.
  append("Expect:");
  header_list_.reset(list);

  curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
  if (!o.unix_socket.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, o.unix_socket.c_str());
  curl_easy_setopt(c, CURLOPT_PRIVATE, this);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf_);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  if (o.keepalive) curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  if (o.http2) {
    const bool tls = o.url.starts_with("https://");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
  } else if (o.http11) {
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  }
  if (o.fastopen) curl_easy_setopt(c, CURLOPT_TCP_FASTOPEN, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  if (o.timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  if (o.stall_seconds > 0) {
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.stall_seconds);
  }
  if (o.fresh_connection) {
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  }
  if (o.connect_only) curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  if (o.accept_gzip) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
  ExchangeCallbacks::apply_tls(c, o, tls_attachment_);
  if (o.sockets) {
    curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, &ExchangeCallbacks::sockopt);
    curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, o.sockets);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETFUNCTION, &ExchangeCallbacks::closesocket);
    curl_easy_setopt(c, CURLOPT_CLOSESOCKETDATA, o.sockets);
  }
  if (o.ask_before_send) {
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, &ExchangeCallbacks::prereq);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, this);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list_.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &ExchangeCallbacks::header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &ExchangeCallbacks::write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, this);

  if (o.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (o.method == "PUT") {
    const uint64_t size = streamed_ ? *o.streamed_size : body_.size();
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ExchangeCallbacks::read);
    curl_easy_setopt(c, CURLOPT_READDATA, this);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, &ExchangeCallbacks::seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, this);
  } else if (o.method == "POST") {
    // Never a null pointer: libcurl would read the body from stdin.
    static const char empty[] = "";
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body_.empty() ? empty : reinterpret_cast<const char*>(body_.data()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  } else if (o.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  }
}

Outcome Exchange::perform() {
  return outcome_of(curl_easy_perform(easy_.get()));
}

void Exchange::resume() {
  curl_easy_pause(easy_.get(), CURLPAUSE_CONT);
}

Outcome Exchange::outcome_of(int code) const {
  Outcome o;
  o.code = code;
  o.failure = classify_curl(code);
  if (o.failure != Failure::none) {
    o.description = curl_easy_strerror(static_cast<CURLcode>(code));
    long os_errno = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_OS_ERRNO, &os_errno);
    if (const Failure refined = refine_failure(code, errbuf_, static_cast<int>(os_errno)); refined != o.failure) {
      // A Fast Open connection that never came up (failure.hpp).
      o.failure = refined;
      o.detail = "Couldn't connect to server: " + std::system_category().message(static_cast<int>(os_errno));
      return o;
    }
    long verify = X509_V_OK;
    curl_easy_getinfo(easy_.get(), CURLINFO_SSL_VERIFYRESULT, &verify);
    o.detail =
        failure_detail(code, errbuf_, verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "", o.description);
  }
  return o;
}

namespace {
double info_ms(CURL* c, CURLINFO what) {
  curl_off_t us = 0;
  curl_easy_getinfo(c, what, &us);
  return static_cast<double>(us) / 1000.0;
}
}  // namespace

Timings Exchange::timings() const {
  CURL* c = easy_.get();
  Timings t{info_ms(c, CURLINFO_NAMELOOKUP_TIME_T), info_ms(c, CURLINFO_CONNECT_TIME_T),
            info_ms(c, CURLINFO_PRETRANSFER_TIME_T), info_ms(c, CURLINFO_STARTTRANSFER_TIME_T),
            info_ms(c, CURLINFO_TOTAL_TIME_T)};
  // APPCONNECT is 0 for plain http and on a reused connection.
  const double tls_done = info_ms(c, CURLINFO_APPCONNECT_TIME_T);
  if (tls_done > 0) t.tls_ms = std::max(0.0, tls_done - t.connect_ms);
  return t;
}

long Exchange::connections_opened() const {
  long connects = 0;
  if (curl_easy_getinfo(easy_.get(), CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK) return 0;
  return connects;
}

int Exchange::active_socket() const {
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(easy_.get(), CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK) return -1;
  return fd == CURL_SOCKET_BAD ? -1 : fd;
}

std::string Exchange::primary_ip() const {
  char* ip = nullptr;
  if (curl_easy_getinfo(easy_.get(), CURLINFO_PRIMARY_IP, &ip) != CURLE_OK || ip == nullptr) return {};
  return ip;
}

std::optional<int64_t> parse_http_date(const std::string& value) {
  time_t t = curl_getdate(value.c_str(), nullptr);
  if (t < 0) return std::nullopt;
  return static_cast<int64_t>(t);
}

}  // namespace haul::http_client
