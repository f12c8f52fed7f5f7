#pragma once
// A store::Store in memory with faults on demand, for component tests
// (tests only). It keeps the store contract (store.hpp) as the fs store
// does: an object appears at commit() and only then, an uncommitted writer
// leaves nothing behind and the previous version intact, a parts upload
// completes from parts 1..N laid end to end. Faults make one step fail: the
// Nth write, read or commit, a body that ends early, a reader that throws
// mid-body. Thread-safe (one mutex), though the fakes run everything on one.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/store.hpp"

namespace haul::gateway::testing {

struct StoreFaults {
  // Fail the Nth call of a step (1-based, counted over the store's life,
  // every writer and reader together) with Error(kind); 0: never.
  uint64_t write = 0;   // ObjectWriter::write (objects and parts)
  uint64_t read = 0;    // BodyReader::read
  uint64_t commit = 0;  // ObjectWriter::commit (objects and parts)
  ErrorKind kind = ErrorKind::io;
  // Readers deliver at most this many bytes of their range, then its end:
  // a store whose body ends early (a short read).
  std::optional<uint64_t> short_read_after;
  // Readers throw Error(kind) once they delivered this many bytes of their
  // range (a backend that fails mid-body).
  std::optional<uint64_t> throw_after;
  bool probe_fails = false;  // probe() throws Error(backend_unavailable)
};

class MemoryStore final : public store::Store {
 public:
  struct Object {
    std::vector<uint8_t> header;
    std::vector<uint8_t> body;
    int64_t mtime_unix = 0;
  };
  struct Calls {
    uint64_t writes = 0, reads = 0, commits = 0, opens = 0, probes = 0;
  };

  void set_faults(const StoreFaults& faults);
  Calls calls() const;
  // Stored objects, to assert on and to damage.
  std::optional<Object> object(const std::string& key) const;
  void put_object(const std::string& key, Object object);
  size_t object_count() const;
  size_t open_uploads() const;  // begun, neither completed nor aborted

  std::string describe() const override { return "memory"; }
  std::unique_ptr<store::ObjectWriter> create(std::string_view key, std::span<const uint8_t> header) override;
  std::unique_ptr<store::BodyReader> open(std::string_view key, const store::BodyRange& range) override;
  store::ObjectHead head(std::string_view key) override;
  void remove(std::string_view key) override;
  store::ListPage list(std::string_view prefix, std::string_view start_after, size_t limit) override;
  std::string begin_upload(std::string_view key, std::span<const uint8_t> header) override;
  std::unique_ptr<store::ObjectWriter> open_part(std::string_view upload_id, std::string_view key, uint32_t part_number,
                                                 uint64_t body_offset) override;
  void complete_upload(std::string_view upload_id, std::string_view key, uint32_t part_count) override;
  void abort_upload(std::string_view upload_id, std::string_view key) override;
  size_t cleanup_expired_uploads(std::chrono::seconds max_age) override;
  void probe() override;

 private:
  friend class MemoryWriter;
  friend class MemoryReader;
  struct Part {
    uint64_t body_offset = 0;
    std::vector<uint8_t> bytes;
  };
  struct Upload {
    std::string key;
    std::vector<uint8_t> header;
    std::map<uint32_t, Part> parts;
  };
  // Counts a call of a step and throws when the faults say this one fails.
  void step(uint64_t Calls::*counter, uint64_t StoreFaults::*fail_at, const char* what);

  mutable std::mutex mutex_;
  StoreFaults faults_;
  Calls calls_;
  std::map<std::string, Object> objects_;
  std::map<std::string, Upload> uploads_;
  uint64_t next_upload_ = 1;
  int64_t clock_ = 1'700'000'000;  // mtimes: one second further per commit
};

}  // namespace haul::gateway::testing
