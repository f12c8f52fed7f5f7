#pragma once
// The gateway's per-request logging: the access log (one JSON line per
// request, access_line.hpp, to --access-log) and the log line of a failed
// request (spdlog, with the Error's private detail: paths, backend hosts).
// Both show targets and methods through redact(): never a token.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/access_line.hpp"

namespace haul {
class Error;
}

namespace haul::gateway {

class RequestLog {
 public:
  RequestLog() = default;  // access log off
  // destination: "-" (standard output), "off", or a file path (created if
  // needed, appended to). secrets: the tokens to keep out of every line.
  // Throws Error(config) when the file cannot be opened.
  static RequestLog open(const std::string& destination, std::vector<std::string> secrets);
  RequestLog(RequestLog&& other) noexcept;
  RequestLog& operator=(RequestLog&& other) noexcept;
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;
  ~RequestLog();

  // Stamps record.time with now and writes its line with one write(2), so
  // lines of concurrent requests never interleave. A failed write (disk
  // full) loses the line and is logged once; the request is not affected.
  void access(AccessRecord record) const;

  // Logs a request's failure when an operator needs it: integrity and
  // internal errors at error level; io and backend errors, and any with a
  // private detail, at warn level; client errors (4xx) not at all.
  void failure(uint64_t connection, std::string_view peer, std::string_view method, std::string_view target,
               const Error& error) const;

  // Keeps `more` out of every later line too (a reloaded token file); the
  // secrets known before stay redacted. Thread-safe.
  void add_secrets(const std::vector<std::string>& more);

 private:
  using Secrets = std::shared_ptr<const std::vector<std::string>>;
  Secrets secrets() const;

  int fd_ = -1;
  bool owns_fd_ = false;
  mutable std::mutex secrets_mutex_;
  Secrets secrets_ = std::make_shared<const std::vector<std::string>>();
};

}  // namespace haul::gateway
