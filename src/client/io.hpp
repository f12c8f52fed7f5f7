#pragma once
// Where request bodies come from and where response bodies go. Offsets are
// explicit so parts and ranges read and write at their own place (pread /
// pwrite): no shared file position, safe for the whole-file hash thread too.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace haul::client {

class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  // Reads up to len bytes at offset; returns bytes read (0 only at the end).
  // Throws Error(io) on a read failure. Thread-safe.
  virtual size_t read_at(uint64_t offset, char* buf, size_t len) const = 0;
};

class FileSource final : public Source {
 public:
  // Throws Error(io / not_found) with the path in the message.
  explicit FileSource(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  uint64_t size() const override { return size_; }
  size_t read_at(uint64_t offset, char* buf, size_t len) const override;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_->size(); }
  size_t read_at(uint64_t offset, char* buf, size_t len) const override;

 private:
  std::shared_ptr<const std::string> data_;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Writes all of [data, data+len) at offset. Throws Error(io) ("disk full").
  virtual void write_at(uint64_t offset, const char* data, size_t len) = 0;
  // False when only sequential writes from offset 0 work (a pipe).
  virtual bool random_access() const { return true; }
  // Size known before the first write: reserve space so a full disk fails
  // early. Default: nothing.
  virtual void reserve(uint64_t) {}
  // SHA-256 of the first `size` bytes written (read back after a parallel
  // ranged download); nullopt when the sink cannot read back (NullSink).
  virtual std::optional<std::string> sha256_of_written(uint64_t) { return std::nullopt; }
  // The download is complete and verified: make it visible. Default nothing.
  virtual void commit(uint64_t) {}
};

// A temp file beside `final_path`, renamed over it by commit(); removed by
// the destructor when not committed, so a failed get never leaves a partial
// file under the final name.
class TempFileSink final : public Sink {
 public:
  // When the temp file is created: at once (a single get fails before its
  // request when the directory is not writable), or at the first write,
  // reserve or commit: a tree's get makes hundreds of sinks when a listing
  // page arrives, and creating a file costs ~0.25 ms on ext4 here, which
  // would hold every request of the page back (400 files: 100 ms).
  enum class Create { now, on_first_write };
  explicit TempFileSink(const std::string& final_path, Create create = Create::now);
  ~TempFileSink() override;
  TempFileSink(const TempFileSink&) = delete;
  TempFileSink& operator=(const TempFileSink&) = delete;
  void write_at(uint64_t offset, const char* data, size_t len) override;
  void reserve(uint64_t size) override;
  std::optional<std::string> sha256_of_written(uint64_t size) override;
  // Truncates to `size`, closes and renames over the final path. Throws Error(io).
  void commit(uint64_t size) override;
  const std::string& temp_path() const { return temp_path_; }

 private:
  int file();  // the temp file's descriptor, created on first use

  std::string final_path_, temp_path_;
  int fd_ = -1;
  bool created_ = false;  // the temp file exists (and is ours to remove)
  bool committed_ = false;
};

// Sequential writes to a descriptor (stdout for `get KEY -`).
class StreamSink final : public Sink {
 public:
  explicit StreamSink(int fd) : fd_(fd) {}
  void write_at(uint64_t offset, const char* data, size_t len) override;
  bool random_access() const override { return false; }

 private:
  int fd_;
  uint64_t written_ = 0;
};

// Drops the bytes (bench downloads); the hash is still computed by the request.
class NullSink final : public Sink {
 public:
  void write_at(uint64_t, const char*, size_t) override {}
};

}  // namespace haul::client
