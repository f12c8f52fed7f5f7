#include "gateway/request_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>
#include <utility>

#include "core/error.hpp"
#include "gateway/redact.hpp"

namespace haul::gateway {

RequestLog RequestLog::open(const std::string& destination, std::vector<std::string> secrets) {
  RequestLog log;
  log.secrets_ = std::make_shared<const std::vector<std::string>>(std::move(secrets));
  if (destination == "off") return log;
  if (destination == "-") {
    log.fd_ = STDOUT_FILENO;
    return log;
  }
  if (destination.empty()) throw Error(ErrorKind::config, "--access-log wants PATH, - or off");
  int fd = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    throw Error(ErrorKind::config, "--access-log " + destination + ": " + std::strerror(errno));
  }
  log.fd_ = fd;
  log.owns_fd_ = true;
  return log;
}

RequestLog::RequestLog(RequestLog&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), owns_fd_(std::exchange(other.owns_fd_, false)), secrets_(other.secrets()) {}

RequestLog& RequestLog::operator=(RequestLog&& other) noexcept {
  if (this != &other) {
    if (owns_fd_) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    owns_fd_ = std::exchange(other.owns_fd_, false);
    Secrets theirs = other.secrets();
    std::lock_guard lock(secrets_mutex_);
    secrets_ = std::move(theirs);
  }
  return *this;
}

RequestLog::~RequestLog() {
  if (owns_fd_) ::close(fd_);
}

void RequestLog::access(AccessRecord record) const {
  if (fd_ < 0) return;
  record.time = std::chrono::system_clock::now();
  std::string line = format_access_line(record, *secrets());
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true))
        spdlog::warn("access log write failed: {} (further failures are silent)", std::strerror(errno));
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

void RequestLog::failure(uint64_t connection, std::string_view peer, std::string_view method, std::string_view target,
                         const Error& error) const {
  const ErrorKind kind = error.kind();
  const bool loud = kind == ErrorKind::integrity || kind == ErrorKind::internal;
  const bool operator_side = kind == ErrorKind::io || kind == ErrorKind::backend_unavailable ||
                             kind == ErrorKind::backend_timeout || error.has_private_detail();
  if (!loud && !operator_side) return;
  const auto level = loud ? spdlog::level::err : spdlog::level::warn;
  const Secrets known = secrets();
  spdlog::log(level, "conn {} {} {} {}: {}", connection, peer, redact_and_cut(method, *known, kMaxMethod),
              redact_and_cut(target, *known, kMaxTarget), redact(error.what(), *known));
}

RequestLog::Secrets RequestLog::secrets() const {
  std::lock_guard lock(secrets_mutex_);
  return secrets_;
}

void RequestLog::add_secrets(const std::vector<std::string>& more) {
  std::lock_guard lock(secrets_mutex_);
  auto merged = std::make_shared<std::vector<std::string>>(*secrets_);
  for (const auto& secret : more) {
    if (std::find(merged->begin(), merged->end(), secret) == merged->end()) merged->push_back(secret);
  }
  secrets_ = std::move(merged);
}

}  // namespace haul::gateway
