#include "store/fs_io.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.hpp"

namespace haul::store::fs {

void throw_errno(int err, std::string_view what, const std::string& path) {
  // The path stays in the private detail: clients of the gateway learn what
  // failed, not where the store lives (docs/store.md, "Errors").
  std::string where = std::string(what) + " " + path;
  std::string reason = std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR: throw Error(ErrorKind::not_found, "not found (" + reason + ")", where);
    case ENOSPC:
    case EDQUOT: throw Error(ErrorKind::io, "disk full (" + reason + ")", where);
    case EACCES:
    case EPERM:
    case EROFS: throw Error(ErrorKind::io, "permission denied (" + reason + ")", where);
    default: throw Error(ErrorKind::io, "I/O error (" + reason + ")", where);
  }
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

Fd open_file(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno(errno, "open", path);
  return Fd(fd);
}

Fd open_if_exists(const std::string& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Fd();
    throw_errno(errno, "open", path);
  }
  return Fd(fd);
}

void write_all(int fd, std::span<const uint8_t> bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "write", path);
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

size_t pread_full(int fd, std::span<uint8_t> out, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

namespace {

void copy_by_read_write(int in_fd, uint64_t in_offset, int out_fd, uint64_t length, const std::string& path) {
  std::vector<uint8_t> buffer(std::min<uint64_t>(length, 256 * 1024));
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, buffer.size()));
    size_t got = pread_full(in_fd, std::span(buffer.data(), want), in_offset, path);
    if (got != want) throw Error(ErrorKind::io, "I/O error: a store file shrank while being copied", path);
    write_all(out_fd, std::span(buffer.data(), got), path);
    in_offset += got;
    length -= got;
  }
}

}  // namespace

void copy_range(int in_fd, uint64_t in_offset, int out_fd, uint64_t length, const std::string& path) {
  auto offset = static_cast<off_t>(in_offset);
  while (length > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(length, 1ull << 30));
    ssize_t n = ::copy_file_range(in_fd, &offset, out_fd, nullptr, chunk, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Not supported for this pair of files (other filesystem, old kernel):
      // copy the rest through user space.
      if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) {
        copy_by_read_write(in_fd, static_cast<uint64_t>(offset), out_fd, length, path);
        return;
      }
      throw_errno(errno, "copy", path);
    }
    if (n == 0) throw Error(ErrorKind::io, "I/O error: a store file shrank while being copied", path);
    length -= static_cast<uint64_t>(n);
  }
}

void fsync_fd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) throw_errno(errno, "fsync", path);
}

void fsync_dir(const std::string& path) {
  Fd dir = open_file(path, O_RDONLY | O_DIRECTORY);
  fsync_fd(dir.get(), path);
}

void fsync_dir_if_exists(const std::string& path) {
  Fd dir = open_if_exists(path, O_RDONLY | O_DIRECTORY);
  if (dir.valid()) fsync_fd(dir.get(), path);
}

void mkdir_below(const std::string& root, const std::string& relative_dir) {
  std::string parent = root;
  size_t start = 0;
  while (start < relative_dir.size()) {
    size_t slash = relative_dir.find('/', start);
    if (slash == std::string::npos) slash = relative_dir.size();
    std::string path = root + "/" + relative_dir.substr(0, slash);
    if (::mkdir(path.c_str(), 0755) == 0) {
      fsync_dir_if_exists(parent);  // the new entry in parent must survive a crash
    } else if (errno != EEXIST) {
      throw_errno(errno, "mkdir", path);
    }
    parent = std::move(path);
    start = slash + 1;
  }
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) throw_errno(ec.value(), "remove", path);
}

std::string random_hex_id() {
  std::array<uint8_t, 16> bytes{};
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + done, bytes.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::internal, std::string("getrandom failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

bool is_random_hex_id(std::string_view s) noexcept {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace haul::store::fs
