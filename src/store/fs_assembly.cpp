#include "store/fs_assembly.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "store/fs_layout.hpp"

namespace haul::store::fs {

namespace {

constexpr const char* kAssembledAttribute = "user.haul.assembled";
// Lock bytes start here: far beyond any body (the format caps offsets well
// below 2^62) and still a valid off_t for part numbers up to 2^32.
constexpr off_t kLockBase = off_t{1} << 62;

bool set_part_lock(int fd, uint32_t part_number, short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = kLockBase + static_cast<off_t>(part_number);
  lock.l_len = 1;
  int rc;
  do {
    rc = ::fcntl(fd, F_OFD_SETLKW, &lock);
  } while (rc != 0 && errno == EINTR);
  return rc == 0;
}

bool same_file(int fd, const std::string& path) {
  struct stat by_fd {
  }, by_path{};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

}  // namespace

std::string part_file_name(uint32_t part_number) {
  return "part-" + std::to_string(part_number);
}

std::string read_boot_id() {
  Fd fd = open_if_exists("/proc/sys/kernel/random/boot_id", O_RDONLY);
  if (!fd.valid()) return "";
  std::array<uint8_t, 64> bytes{};
  size_t n = pread_full(fd.get(), bytes, 0, "/proc/sys/kernel/random/boot_id");
  std::string id(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

PartLock::PartLock(int body_fd, uint32_t part_number)
    : fd_(body_fd), part_number_(part_number), held_(set_part_lock(fd_, part_number_, F_WRLCK)) {}

PartLock::~PartLock() {
  if (held_) set_part_lock(fd_, part_number_, F_UNLCK);
}

bool is_assembled(int part_fd, const std::string& boot_id) {
  if (boot_id.empty()) return false;
  std::array<char, 64> value{};
  ssize_t n = ::fgetxattr(part_fd, kAssembledAttribute, value.data(), value.size());
  return n > 0 && std::string_view(value.data(), static_cast<size_t>(n)) == boot_id;
}

bool mark_assembled(int part_fd, const std::string& boot_id) {
  if (boot_id.empty()) return false;
  return ::fsetxattr(part_fd, kAssembledAttribute, boot_id.data(), boot_id.size(), 0) == 0;
}

PartPlace read_part_place(int part_fd, const std::string& part_path) {
  struct stat st {};
  if (::fstat(part_fd, &st) != 0) throw_errno(errno, "stat", part_path);
  std::array<uint8_t, kPartPrefixSize> prefix{};
  PartPlace place;
  place.offset = parse_part_prefix(std::span(prefix.data(), pread_full(part_fd, prefix, 0, part_path)), part_path);
  place.size = static_cast<uint64_t>(st.st_size) - kPartPrefixSize;
  return place;
}

void copy_part_into_body(int part_fd, const PartPlace& place, int body_fd, uint64_t data_offset,
                         const std::string& part_path) {
  const auto at = static_cast<off_t>(data_offset + place.offset);
  if (::lseek(body_fd, at, SEEK_SET) != at) throw_errno(errno, "seek", part_path);
  copy_range(part_fd, kPartPrefixSize, body_fd, place.size, part_path);
  // Start the writeback now, so the fsync at complete() finds little left
  // to write. Only a hint: complete() fsyncs whatever it finds.
  ::sync_file_range(body_fd, at, static_cast<off_t>(place.size), SYNC_FILE_RANGE_WRITE);
}

void assemble_committed_part(const std::string& upload_dir, uint32_t part_number, uint64_t data_offset,
                             const std::string& boot_id) noexcept {
  if (boot_id.empty()) return;  // the mark could not be trusted: complete() copies
  try {
    const std::string body_path = upload_dir + "/" + std::string(kBodyName);
    Fd body = open_if_exists(body_path, O_WRONLY);
    if (!body.valid()) return;  // an upload begun before bodies existed, or one gone meanwhile
    PartLock lock(body.get(), part_number);
    if (!lock.held()) return;  // no copy without the lock: complete() copies it
    // Claimed by complete(), aborted or expired since we opened it: the body
    // is no longer the upload's (it may be a published object by now).
    if (!same_file(body.get(), body_path)) return;
    const std::string part_path = upload_dir + "/" + part_file_name(part_number);
    Fd part = open_if_exists(part_path, O_RDONLY);
    if (!part.valid()) return;
    if (is_assembled(part.get(), boot_id)) return;  // a concurrent commit of the same file did it
    copy_part_into_body(part.get(), read_part_place(part.get(), part_path), body.get(), data_offset, part_path);
    mark_assembled(part.get(), boot_id);
  } catch (...) {
    // The part itself is committed; complete() copies what is not marked.
  }
}

}  // namespace haul::store::fs
