#pragma once
// Blocking POSIX helpers for the fs store: an owning fd, full reads and
// writes, fsync of directories, mkdir -p, random names, errno -> haul::Error.
//
// Every failure is a haul::Error (never std::system_error):
//   ENOENT/ENOTDIR -> not_found, ENOSPC/EDQUOT -> io "disk full",
//   EACCES/EPERM/EROFS -> io "permission denied", anything else -> io.
// Paths go into the Error's private detail (what(), the log), never into its
// public message (what a gateway client reads).

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace haul::store::fs {

// Throws the haul::Error that answers `err` (an errno value) for an
// operation `what` on `path`.
[[noreturn]] void throw_errno(int err, std::string_view what, const std::string& path);

// Owns one file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept;

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added; throws via throw_errno on failure.
Fd open_file(const std::string& path, int flags, mode_t mode = 0644);
// Like open_file but returns an invalid Fd when the file does not exist.
Fd open_if_exists(const std::string& path, int flags);

// Writes all of `bytes` at the file position (retries short writes, EINTR).
void write_all(int fd, std::span<const uint8_t> bytes, const std::string& path);
// Reads up to out.size() bytes at `offset`; returns fewer only at end of file.
size_t pread_full(int fd, std::span<uint8_t> out, uint64_t offset, const std::string& path);
// Copies `length` bytes from in_fd at `in_offset` to out_fd's file position,
// with copy_file_range where the kernel supports it, else read/write.
void copy_range(int in_fd, uint64_t in_offset, int out_fd, uint64_t length, const std::string& path);

void fsync_fd(int fd, const std::string& path);
// fsync(2) of a directory, so entries created or renamed in it are durable.
void fsync_dir(const std::string& path);
// fsync_dir, except that a directory removed meanwhile (a concurrent remove()
// took it once it was empty) is not an error: the entry whose durability we
// wanted went with it.
void fsync_dir_if_exists(const std::string& path);

// Creates `path` and any missing parents below `root` (which must exist),
// fsyncing each parent whose entries changed. Tolerates concurrent creators.
void mkdir_below(const std::string& root, const std::string& relative_dir);

// Removes `path` and everything under it; absent is fine. Throws on failure.
void remove_tree(const std::string& path);

// 32 lowercase hex characters from getrandom(2): 128 random bits.
std::string random_hex_id();
bool is_random_hex_id(std::string_view s) noexcept;

}  // namespace haul::store::fs
