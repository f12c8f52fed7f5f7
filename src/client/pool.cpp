#include "client/pool.hpp"

#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "net/send_buffer.hpp"
#include "net/send_congestion.hpp"

namespace haul::client {

namespace {

constexpr size_t max_captured_body = 1 << 20;

Pool& pool_of(Request* r) { return *static_cast<Pool*>(r->pool); }

// ---- libcurl callbacks. Socket ones get the Pool, transfer ones the Request.

int sockopt_cb(void* clientp, curl_socket_t fd, curlsocktype purpose) {
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
  return static_cast<Pool*>(clientp)->configure_socket(fd);
}

// Runs when the request's connection is ready (new or reused), before the
// request is sent: the moment to choose how its body is sent.
int prereq_cb(void* userp, char*, char*, int, int local_port) {
  auto* r = static_cast<Request*>(userp);
  return pool_of(r).before_request(r, local_port) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

int closesocket_cb(void* clientp, curl_socket_t fd) {
  static_cast<Pool*>(clientp)->on_socket_closing(fd);
  return ::close(fd);
}

size_t read_cb(char* buf, size_t size, size_t nitems, void* userp) {
  auto* r = static_cast<Request*>(userp);
  uint64_t left = r->source_length - r->body_bytes_sent;
  size_t want = static_cast<size_t>(std::min<uint64_t>(left, size * nitems));
  if (want == 0) return 0;
  size_t n = 0;
  try {
    n = r->source->read_at(r->source_offset + r->body_bytes_sent, buf, want);
  } catch (const std::exception& e) {
    r->local_error = e.what();
    return CURL_READFUNC_ABORT;
  }
  if (n == 0) {
    r->local_error = "file shrank while uploading";
    return CURL_READFUNC_ABORT;
  }
  if (r->hash_body) r->hasher.update(buf, n);
  r->body_bytes_sent += n;
  pool_of(r).progress().done += n;
  return n;
}

size_t write_cb(char* data, size_t size, size_t nmemb, void* userp) {
  auto* r = static_cast<Request*>(userp);
  size_t n = size * nmemb;
  // r->status comes from the status line (header_cb), known before any body byte.
  bool good = r->status >= 200 && r->status < 300 && (r->expect_status == 0 || r->status == r->expect_status);
  if (!good || r->sink == nullptr) {
    if (r->body.size() + n > max_captured_body) {
      r->local_error = "answer body too large";
      return 0;
    }
    r->body.append(data, n);
    return n;
  }
  try {
    r->sink->write_at(r->sink_offset + r->body_bytes_received, data, n);
  } catch (const std::exception& e) {
    r->local_error = e.what();
    return 0;
  }
  if (r->hash_body) r->hasher.update(data, n);
  r->body_bytes_received += n;
  pool_of(r).progress().done += n;
  return n;
}

size_t header_cb(char* data, size_t size, size_t nitems, void* userp) {
  auto* r = static_cast<Request*>(userp);
  size_t n = size * nitems;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (also after a 100 Continue): forget the previous headers.
    r->response_headers.clear();
    auto sp = line.find(' ');
    r->status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  r->response_headers[name] = std::string(value);
  return n;
}

// 0 while the socket is not bound yet.
int local_port_of(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

double us_to_ms(curl_off_t us) { return static_cast<double>(us) / 1000.0; }

// How long the loop may sleep in curl_multi_poll: at most `cap`, less when
// the driver wants to be asked again sooner (Driver::wake_at).
int poll_ms(const Driver& driver, int cap) {
  auto at = driver.wake_at();
  if (!at) return cap;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*at - std::chrono::steady_clock::now()).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, cap));
}

// "MESSAGE (404 not_found)": the gateway's own words first, from its error
// JSON {"error", "message"}, or its X-Haul-Error header when the answer has
// no body (HEAD), or a short non-JSON body (a proxy's page); the status last.
std::string http_error_text(const Request& r) {
  std::string message, kind;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_string()) kind = j["error"].get<std::string>();
    if (j.contains("message") && j["message"].is_string()) message = j["message"].get<std::string>();
  }
  if (message.empty()) message = r.header("x-haul-error");
  if (message.empty() && !j.is_object() && !r.body.empty() && r.body.size() < 200) {
    message = r.body;
    for (auto& c : message)
      if (c == '\n' || c == '\r') c = ' ';
  }
  std::string status = std::to_string(r.status);
  if (!kind.empty()) status += " " + kind;
  return message.empty() ? "gateway answered " + status : message + " (" + status + ")";
}

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

bool kernel_allows_client_fastopen() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_fastopen");
  int value = 0;
  return (in >> value) && (value & 1) != 0;
}

std::atomic<bool>& Pool::interrupt_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

Pool::Pool(const ClientConfig& config) : config_(config) {
  static GlobalInit init;
  CURLM* m = curl_multi_init();
  if (!m) throw Error(ErrorKind::internal, "curl_multi_init failed");
  multi_ = m;
  narrow();
  // HTTP/1.1 only: no waiting for a connection to maybe multiplex on.
  curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
  fastopen_ = config_.fastopen && kernel_allows_client_fastopen();
}

void Pool::widen(unsigned n) {
  auto* m = static_cast<CURLM*>(multi_);
  long limit = static_cast<long>(std::max(n, config_.connections));
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, limit);
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, limit);
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, limit);
}

void Pool::narrow() {
  auto* m = static_cast<CURLM*>(multi_);
  long n = static_cast<long>(config_.connections);
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, n);
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
  // Keep every pool connection in the cache (the default keeps 4x handles, but
  // a warm-up's handles are gone by the time the cache would be trimmed).
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, n);
}

Pool::~Pool() {
  auto* m = static_cast<CURLM*>(multi_);
  for (auto& r : in_flight_) {
    auto* e = static_cast<CURL*>(r->easy_handle());
    curl_multi_remove_handle(m, e);
    curl_easy_cleanup(e);
  }
  for (void* e : idle_easies_) curl_easy_cleanup(static_cast<CURL*>(e));
  curl_multi_cleanup(m);
}

int Pool::configure_socket(int fd) {
  // TCP_NODELAY: a request's last partial segment and small answers must not
  // wait for an ACK (Nagle + the peer's delayed ACK cost up to 40 ms + 1 RTT).
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // TCP_CONGESTION: "auto" starts every socket on cubic and chooses per
  // upload body in before_request() (net/send_congestion.hpp says why);
  // starting on cubic matters: once bbr has run on a socket the kernel keeps
  // pacing it, and cubic then paces a small burst at 2 x window / RTT instead
  // of sending it at once. A pinned name is set here once. A name the host
  // does not allow (net.ipv4.tcp_allowed_congestion_control) keeps the default.
  if (config_.congestion == net::congestion_auto)
    net::set_congestion(fd, "cubic");
  else if (!config_.congestion.empty())
    net::set_congestion(fd, config_.congestion);
  net::enlarge_send_buffer(fd);  // uploads over long, lossy links (net/send_buffer.hpp)
  sockets_.push_back({fd, 0});
  return CURL_SOCKOPT_OK;
}

bool Pool::before_request(Request* r, int local_port) {
  if (config_.congestion != net::congestion_auto && r->min_rtt_us == 0) return true;
  // libcurl 7.88 has no socket for a request before it completes
  // (CURLINFO_ACTIVESOCKET is -1 here), so find it by its local port, read
  // once per connection (it is bound by now).
  for (auto& s : sockets_) {
    if (s.local_port == 0) s.local_port = local_port_of(s.fd);
    if (s.local_port != local_port) continue;
    if (r->min_rtt_us > 0) {
      // The handshake gave the kernel its first RTT sample.
      auto info = net::read_tcp_info(s.fd);
      if (info) measured(*info);
      if (info && info->rtt_us < r->min_rtt_us) {
        r->declined = true;
        return false;
      }
    }
    if (config_.congestion == net::congestion_auto) {
      uint64_t body = r->method == "PUT" ? r->source_length : r->post_body.size();
      net::set_send_congestion(s.fd, body);
    }
    return true;
  }
  return true;
}

void Pool::measured(const net::TcpInfo& info) {
  const uint32_t rtt = info.min_rtt_us ? info.min_rtt_us : info.rtt_us;
  if (rtt == 0) return;
  if (!measured_rtt_us_ || rtt < *measured_rtt_us_) measured_rtt_us_ = rtt;
}

void Pool::on_socket_closing(int fd) {
  std::erase_if(sockets_, [fd](const OpenSocket& s) { return s.fd == fd; });
  last_closed_tcp_ = net::read_tcp_info(fd);
}

void Pool::start(std::unique_ptr<Request> r) {
  CURL* e = nullptr;
  if (!idle_easies_.empty()) {
    e = static_cast<CURL*>(idle_easies_.back());
    idle_easies_.pop_back();
    curl_easy_reset(e);
  } else {
    e = curl_easy_init();
    if (!e) throw Error(ErrorKind::internal, "curl_easy_init failed");
  }
  r->pool = this;
  r->set_easy_handle(e);
  r->started = std::chrono::steady_clock::now();
  std::string url = config_.gateway + r->path;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, r.get());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
  curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, this);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, prereq_cb);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, r.get());
  if (fastopen_) curl_easy_setopt(e, CURLOPT_TCP_FASTOPEN, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, config_.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, config_.stall_timeout_s);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
  r->errbuf[0] = 0;
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r.get());

  curl_slist* list = nullptr;
  if (!config_.token.empty()) list = curl_slist_append(list, ("Authorization: Bearer " + config_.token).c_str());
  if (!config_.store.empty()) list = curl_slist_append(list, ("X-Haul-Store: " + config_.store).c_str());
  // Never wait for 100 Continue: that costs a round trip on every upload.
  list = curl_slist_append(list, "Expect:");
  for (const auto& h : r->headers) list = curl_slist_append(list, h.c_str());
  r->set_header_list(list);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);

  if (r->method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (r->method == "PUT") {
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, r.get());
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r->source ? r->source_length : 0));
  } else if (r->method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r->post_body.size()));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, r->post_body.c_str());
  } else if (r->method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method.c_str());
  }
  if (r->fresh_connection) {
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  }
  curl_multi_add_handle(static_cast<CURLM*>(multi_), e);
  in_flight_.push_back(std::move(r));
}

void Pool::finish(Request* r, int code_int) {
  auto code = static_cast<CURLcode>(code_int);
  auto* e = static_cast<CURL*>(r->easy_handle());
  curl_off_t t = 0;
  curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &t);
  r->timings.dns_ms = us_to_ms(t);
  curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &t);
  r->timings.connect_ms = us_to_ms(t);
  curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &t);
  r->timings.sent_ms = us_to_ms(t);
  curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &t);
  r->timings.first_byte_ms = us_to_ms(t);
  curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &t);
  r->timings.total_ms = us_to_ms(t);
  long connects = 0;
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  r->connections_opened = connects;
  connections_opened_ += connects;
  // TCP_INFO of the connection this request used: still in the cache (only
  // valid before the handle leaves the multi), or just closed (FORBID_REUSE).
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(e, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK && fd != CURL_SOCKET_BAD)
    r->tcp = net::read_tcp_info(fd);
  else if (r->fresh_connection)
    r->tcp = last_closed_tcp_;
  if (r->tcp) measured(*r->tcp);
  if (r->hash_body) r->digest = r->hasher.hex_digest();

  std::string what = r->method + " " + r->path;
  if (!r->local_error.empty()) {
    r->failure = Failure::local;
    r->error = r->local_error;
  } else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY) {
    r->failure = Failure::connect;
    r->error = "cannot reach gateway " + config_.gateway + ": " + (r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    r->failure = Failure::timeout;
    r->error = "gateway " + config_.gateway + " stopped answering (" + what + "): " + r->errbuf;
  } else if (code != CURLE_OK) {
    r->failure = Failure::transport;
    r->error = "connection to gateway " + config_.gateway + " failed during " + what + ": " +
               (r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
  } else if (r->status < 200 || r->status >= 300) {
    r->failure = Failure::http;
    r->error = http_error_text(*r);
  } else if (r->expect_status != 0 && r->status != r->expect_status) {
    r->failure = Failure::http;
    r->error = "unexpected status " + std::to_string(r->status) + " (wanted " + std::to_string(r->expect_status) + ")";
  }
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), e);
  r->release_easy();
  idle_easies_.push_back(e);
}

void Pool::start_warmups(unsigned room) {
  unsigned n = std::min(warm_pending_, room);
  warm_pending_ = 0;
  for (unsigned i = 0; i < n; ++i) {
    auto r = std::make_unique<Request>();
    r->path = "/healthz";
    r->warmup = true;
    start(std::move(r));
  }
}

void Pool::interrupt_all(Driver& driver) {
  interrupted_ = true;
  auto* m = static_cast<CURLM*>(multi_);
  std::vector<std::unique_ptr<Request>> cancelled;
  cancelled.swap(in_flight_);
  for (auto& r : cancelled) {
    auto* e = static_cast<CURL*>(r->easy_handle());
    curl_multi_remove_handle(m, e);
    r->release_easy();
    idle_easies_.push_back(e);
    if (r->warmup) continue;
    r->failure = Failure::local;
    r->error = "interrupted";
    r->owner->done(std::move(r));
  }
  driver.interrupt();
}

void Pool::run(Driver& driver, unsigned max_inflight, const std::function<void()>& tick) {
  auto* m = static_cast<CURLM*>(multi_);
  auto last_tick = std::chrono::steady_clock::now();
  bool first_round = true;
  for (;;) {
    if (!interrupted_ && interrupt_flag().load()) interrupt_all(driver);
    // Fill: the driver's requests first, then warm-ups in the remaining room.
    size_t real = 0;
    for (auto& r : in_flight_) real += r->warmup ? 0 : 1;
    while (real < max_inflight) {
      auto r = driver.next();
      if (!r) break;
      start(std::move(r));
      ++real;
    }
    if (first_round && warm_pending_ > 0) {
      unsigned used = static_cast<unsigned>(std::min<size_t>(in_flight_.size(), config_.connections));
      start_warmups(config_.connections > used ? config_.connections - used : 0);
      first_round = false;
    }
    if (in_flight_.empty()) {
      if (driver.finished()) return;
      // Waiting for a backoff to pass.
      curl_multi_poll(m, nullptr, 0, poll_ms(driver, 20), nullptr);
      continue;
    }
    int running = 0;
    curl_multi_perform(m, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      CURLcode code = msg->data.result;
      Request* raw = nullptr;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, &raw);
      auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](auto& p) { return p.get() == raw; });
      if (it == in_flight_.end()) continue;
      std::unique_ptr<Request> r = std::move(*it);
      in_flight_.erase(it);
      finish(r.get(), code);
      if (r->warmup) continue;
      r->owner->done(std::move(r));
    }
    if (tick) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_tick > std::chrono::milliseconds(100)) {
        tick();
        last_tick = now;
      }
    }
    if (!in_flight_.empty()) curl_multi_poll(m, nullptr, 0, poll_ms(driver, 50), nullptr);
  }
}

}  // namespace haul::client
