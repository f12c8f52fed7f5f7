#pragma once
// Temp files and their atomic publication (fs store).
//
// A TempFile lives in the store's temp directory (DIR/tmp/<instance>/,
// fs_instance.hpp) under a random name and is unlinked when it is
// destroyed unpublished. publish() makes it durable and visible in one step:
// fsync the file, rename it over the destination, fsync the destination's
// directory. Readers see the old file or the new one, never a mix.

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "store/fs_io.hpp"
#include "store/store.hpp"

namespace haul::store::fs {

struct PublishDestination {
  std::string root;
  std::string relative_path;
  bool make_parents = false;
};

// Renames the file at `path` to destination.root/relative_path and returns
// the directory it now is in; with make_parents the directories of
// relative_path are created below root first (mkdir -p), retried when a
// concurrent remove() takes an empty one on the way. Without make_parents a
// missing directory is Error(not_found). The caller fsyncs the file before
// and the returned directory after (fsync_dir_if_exists).
std::string rename_into(const std::string& path, const PublishDestination& destination);

class TempFile {
 public:
  // Creates a new empty file tmp_dir/<random><suffix> (O_EXCL, O_CLOEXEC).
  // A missing tmp_dir is Error(io), not not_found.
  TempFile(const std::string& tmp_dir, std::string_view suffix);
  TempFile(TempFile&& other) noexcept
      : path_(std::exchange(other.path_, std::string())), fd_(std::move(other.fd_)), published_(other.published_) {}
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  ~TempFile();  // unlinks the file unless it was published

  int fd() const noexcept { return fd_.get(); }
  const std::string& path() const noexcept { return path_; }
  void write(std::span<const uint8_t> bytes) { write_all(fd_.get(), bytes, path_); }

  // Where a published file goes (rename_into above).
  using Destination = PublishDestination;
  // fsync, rename into place, fsync the parent directory. Afterwards the
  // TempFile no longer owns a file. Throws haul::Error; on failure the temp
  // file is still owned (and unlinked by the destructor).
  void publish(const Destination& destination);

 private:
  std::string path_;
  Fd fd_;
  bool published_ = false;
};

// ObjectWriter over a TempFile: write() appends, commit() publishes.
// Destroying it uncommitted unlinks the temp file; the destination is never
// touched before commit().
class TempFileWriter final : public ObjectWriter {
 public:
  TempFileWriter(TempFile temp, TempFile::Destination destination)
      : temp_(std::move(temp)), destination_(std::move(destination)) {}
  void write(std::span<const uint8_t> body_bytes) override;
  void commit() override;

 private:
  TempFile temp_;
  TempFile::Destination destination_;
  bool committed_ = false;
};

}  // namespace haul::store::fs
