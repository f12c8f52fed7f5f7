#pragma once
// One HTTP exchange on one libcurl easy handle. With multi.hpp, the only
// code of haul that calls libcurl: the client's pool, the bench, the
// doctor's probes and the S3 store all go through these two classes, so the
// options every transfer needs (no 100-continue, TCP_NODELAY, timeouts)
// are set in one place and no caller handles a CURL* or a void* of its own.
//
// An Exchange is reusable: prepare() drops the previous request's options
// but keeps the handle's live connection and DNS cache (curl_easy_reset), so
// a pooled Exchange carries request after request over one warm connection.
// It is run either on the calling thread to its end (perform()) or by a
// Multi (multi.hpp), which can also stop it halfway (pulled bodies).
// One thread at a time.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http_client/failure.hpp"
#include "http_client/handles.hpp"
#include "http_client/response_head.hpp"
#include "http_client/timings.hpp"
#include "http_client/tls.hpp"
#include "http_client/tls_share.hpp"

namespace haul::http_client {

// The caller's side of one exchange: where a streamed request body comes
// from and where the response body goes. Called on the thread that drives
// the exchange, between prepare() and its end; never after.
class Handler {
 public:
  virtual ~Handler() = default;

  // Options::streamed_size: the next bytes of the request body into `out`;
  // 0 only at the end. nullopt stops the exchange (Failure::local).
  virtual std::optional<size_t> read_body(std::span<char> out);

  enum class Take {
    all,    // taken
    pause,  // not taken: offered again after Exchange::resume()
    stop,   // ends the exchange (Failure::local)
  };
  // A piece of the response body (of any status); head's status and fields
  // are in. Default: dropped.
  virtual Take on_body(const ResponseHead& head, std::string_view data);

  // Options::ask_before_send: the exchange's connection (new or reused) is
  // ready and the request goes out next. libcurl 7.88 has no socket for the
  // exchange at this point (CURLINFO_ACTIVESOCKET is -1), so the connection
  // is named by its local port. False abandons the exchange before a byte
  // is sent (Failure::local).
  virtual bool before_send(int local_port);
};

// Keeps at most `keep` bytes of the response body and counts them all.
class BodyCollector : public Handler {
 public:
  explicit BodyCollector(size_t keep = 1 << 20) : keep_(keep) {}
  Take on_body(const ResponseHead& head, std::string_view data) override;
  uint64_t bytes = 0;
  std::string text;

 private:
  size_t keep_;
};

// Sees every socket that the exchanges naming it open, from creation to
// close. A connection outlives its exchange in the connection cache, so the
// hooks must outlive the cache (the Multi, or a blocking Exchange).
class SocketHooks {
 public:
  virtual ~SocketHooks() = default;
  // A new socket for a connection, before it connects: set options here.
  virtual void on_open(int fd);
  // The socket is about to be closed (its TCP_INFO still readable); the
  // layer closes it afterwards.
  virtual void on_close(int fd);
};

// One request. Plain data; prepare() copies what it needs except `body`.
struct Options {
  std::string url;
  std::string unix_socket;           // a Unix socket to connect to instead of the URL's host (base_target.hpp)
  std::string method = "GET";        // HEAD sends no body and expects none
  std::vector<std::string> headers;  // "Name: value" lines; "Expect:" (none) is always added
  // The request body, one of:
  std::span<const uint8_t> body;          // in memory (PUT, POST); must outlive the exchange
  std::optional<uint64_t> streamed_size;  // PUT of this many bytes read through Handler::read_body
  long connect_timeout_ms = 10000;
  long timeout_ms = 0;     // the whole exchange; 0: no deadline
  long stall_seconds = 0;  // ends an exchange that moves < 1 byte/s for this long; 0: no floor
  bool http11 = true;      // HTTP/1.1 only, no upgrade attempts
  // HTTP/2: ALPN "h2" over https:// (HTTP/1.1 when the server declines),
  // prior knowledge (h2c) over http://. Waits for a connection that may
  // multiplex rather than opening another (CURLOPT_PIPEWAIT). Wins over http11.
  bool http2 = false;
  bool keepalive = true;          // TCP keepalive probes on idle connections
  bool fresh_connection = false;  // a new connection, closed after the exchange
  bool fastopen = false;          // TCP Fast Open (when the kernel allows it)
  bool connect_only = false;      // only the connection (handshake timing); no request
  bool ask_before_send = false;   // call Handler::before_send
  SocketHooks* sockets = nullptr;
  // https:// only: how the server is checked (verification on by default),
  // and the sessions its new connections resume and file (null: libcurl's
  // per-handle cache only). The sessions must outlive the connections.
  TlsOptions tls;
  TlsSessions* tls_sessions = nullptr;
  bool inspect_tls = false;  // record what the connection negotiated (tls_connection())
  // Ask for a gzip body and hand the handler the decoded bytes: JSON
  // listings only (an object body is counted and hashed as sent).
  bool accept_gzip = false;
};

// How an exchange ended.
struct Outcome {
  Failure failure = Failure::none;  // none when an answer came in full, whatever its status
  int code = 0;                     // libcurl's result code, for logs
  std::string description;          // libcurl's fixed text for the code: names no host
  std::string detail;               // its error buffer (may name the host), else the description
};

class Exchange {
 public:
  // Throws Error(internal) when libcurl cannot make a handle.
  Exchange();
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Sets up one request, dropping every option of the previous one. The
  // handler, options.body and options.sockets must outlive the run. Not
  // while a Multi holds the exchange.
  void prepare(const Options& options, Handler& handler);
  // Runs the prepared request to its end on this thread.
  Outcome perform();
  // Lets a body that the handler paused flow again.
  void resume();

  // The response so far (complete once the exchange ended with an answer).
  const ResponseHead& head() const { return head_; }
  ResponseHead& head() { return head_; }
  Timings timings() const;
  // Connections libcurl opened for this exchange so far (0: reused one).
  long connections_opened() const;
  // The exchange's socket while it is open (still in the connection cache
  // after the end, until its Multi lets go of it); -1 when none.
  int active_socket() const;
  // The address connected to, "" when none.
  std::string primary_ip() const;
  // With Options::inspect_tls over https://: what the connection that
  // carried the answer negotiated (read when its head ended).
  const std::optional<TlsConnection>& tls_connection() const { return tls_connection_; }

 private:
  friend class Multi;
  friend struct ExchangeCallbacks;
  Outcome outcome_of(int code) const;

  // The handle last: it goes first, while what it points to is still there.
  char errbuf_[256] = {};         // CURL_ERROR_SIZE
  SlistHandle header_list_;       // replaced by each prepare()
  TlsAttachment tls_attachment_;  // the TLS setup of new connections reads it
  EasyHandle easy_;
  Handler* handler_ = nullptr;
  ResponseHead head_;
  bool inspect_tls_ = false;
  std::optional<TlsConnection> tls_connection_;
  std::span<const uint8_t> body_;
  size_t body_pos_ = 0;
  bool streamed_ = false;
};

// Seconds since the epoch of an HTTP date (Last-Modified); nullopt when unreadable.
std::optional<int64_t> parse_http_date(const std::string& value);

}  // namespace haul::http_client
