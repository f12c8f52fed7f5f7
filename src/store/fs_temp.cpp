#include "store/fs_temp.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.hpp"

namespace haul::store::fs {

TempFile::TempFile(const std::string& tmp_dir, std::string_view suffix) {
  // 128 random bits: a collision is not a practical concern, but O_EXCL
  // turns one into an error instead of two writers sharing a file.
  path_ = tmp_dir + "/" + random_hex_id() + std::string(suffix);
  try {
    fd_ = open_file(path_, O_WRONLY | O_CREAT | O_EXCL, 0644);
  } catch (const Error& e) {
    // No temp directory means the store directory was removed under us: a
    // broken store, not a missing object (which is what not_found says).
    if (e.kind() == ErrorKind::not_found) throw Error(ErrorKind::io, "store temp directory is missing", path_);
    throw;
  }
}

TempFile::~TempFile() {
  if (!published_ && !path_.empty()) ::unlink(path_.c_str());
}

std::string rename_into(const std::string& path, const PublishDestination& destination) {
  std::string target = destination.root + "/" + destination.relative_path;
  size_t slash = destination.relative_path.rfind('/');
  std::string relative_dir = slash == std::string::npos ? "" : destination.relative_path.substr(0, slash);
  std::string parent = relative_dir.empty() ? destination.root : destination.root + "/" + relative_dir;
  // A concurrent remove() may delete an empty directory on the way between
  // our mkdir and our rename (or between two levels of mkdir): that shows as
  // ENOENT, and we start over. Bounded, so a directory that keeps vanishing
  // for another reason is an error rather than a spin.
  constexpr int kAttempts = 100;
  for (int attempt = 1;; ++attempt) {
    if (destination.make_parents && !relative_dir.empty()) {
      try {
        mkdir_below(destination.root, relative_dir);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::not_found || attempt >= kAttempts) throw;
        continue;
      }
    }
    if (::rename(path.c_str(), target.c_str()) == 0) break;
    int err = errno;
    if (err != ENOENT || !destination.make_parents || attempt >= kAttempts) throw_errno(err, "rename to", target);
  }
  return parent;
}

void TempFile::publish(const Destination& destination) {
  fsync_fd(fd_.get(), path_);
  const std::string parent = rename_into(path_, destination);
  published_ = true;
  fd_ = Fd();
  fsync_dir_if_exists(parent);
}

void TempFileWriter::write(std::span<const uint8_t> body_bytes) {
  if (committed_) throw Error(ErrorKind::internal, "write after commit");
  temp_.write(body_bytes);
}

void TempFileWriter::commit() {
  if (committed_) throw Error(ErrorKind::internal, "commit called twice");
  temp_.publish(destination_);
  committed_ = true;
}

}  // namespace haul::store::fs
