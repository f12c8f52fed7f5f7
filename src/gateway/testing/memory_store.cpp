#include "gateway/testing/memory_store.hpp"

#include <algorithm>
#include <functional>

namespace haul::gateway::testing {

namespace {

Error not_found(std::string_view what, std::string_view name) {
  return Error(ErrorKind::not_found, std::string(what) + " '" + std::string(name) + "' not found");
}

}  // namespace

// Collects body bytes; hands them to `done` at commit. Destroyed without a
// commit, it leaves nothing.
class MemoryWriter final : public store::ObjectWriter {
 public:
  MemoryWriter(MemoryStore& store, std::function<void(std::vector<uint8_t>)> done)
      : store_(store), done_(std::move(done)) {}
  void write(std::span<const uint8_t> bytes) override {
    if (committed_) throw Error(ErrorKind::internal, "write after commit");
    store_.step(&MemoryStore::Calls::writes, &StoreFaults::write, "write");
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  }
  void commit() override {
    if (committed_) throw Error(ErrorKind::internal, "commit twice");
    store_.step(&MemoryStore::Calls::commits, &StoreFaults::commit, "commit");
    committed_ = true;
    done_(std::move(bytes_));
  }

 private:
  MemoryStore& store_;
  std::function<void(std::vector<uint8_t>)> done_;
  std::vector<uint8_t> bytes_;
  bool committed_ = false;
};

// One range of a copy of the object taken at open (a later PUT does not
// change what an open reader reads, as with the fs store's open file).
class MemoryReader final : public store::BodyReader {
 public:
  MemoryReader(MemoryStore& store, store::ObjectHead head, std::vector<uint8_t> range, StoreFaults faults)
      : store_(store), head_(std::move(head)), range_(std::move(range)), faults_(faults) {}
  const store::ObjectHead& head() const override { return head_; }
  size_t read(std::span<uint8_t> out) override {
    store_.step(&MemoryStore::Calls::reads, &StoreFaults::read, "read");
    if (faults_.throw_after && at_ >= *faults_.throw_after) {
      throw Error(faults_.kind, "injected fault: the store failed mid-body");
    }
    uint64_t end = range_.size();
    if (faults_.short_read_after) end = std::min<uint64_t>(end, *faults_.short_read_after);
    if (faults_.throw_after) end = std::min<uint64_t>(end, *faults_.throw_after);
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), end - std::min(at_, end)));
    std::copy_n(range_.begin() + static_cast<std::ptrdiff_t>(at_), n, out.begin());
    at_ += n;
    return n;
  }

 private:
  MemoryStore& store_;
  store::ObjectHead head_;
  std::vector<uint8_t> range_;
  StoreFaults faults_;
  uint64_t at_ = 0;
};

void MemoryStore::step(uint64_t Calls::*counter, uint64_t StoreFaults::*fail_at, const char* what) {
  std::lock_guard lock(mutex_);
  const uint64_t n = ++(calls_.*counter);
  if (faults_.*fail_at != 0 && n == faults_.*fail_at) {
    throw Error(faults_.kind, std::string("injected fault: ") + what + " " + std::to_string(n) + " failed");
  }
}

void MemoryStore::set_faults(const StoreFaults& faults) {
  std::lock_guard lock(mutex_);
  faults_ = faults;
}

MemoryStore::Calls MemoryStore::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::optional<MemoryStore::Object> MemoryStore::object(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

void MemoryStore::put_object(const std::string& key, Object object) {
  std::lock_guard lock(mutex_);
  objects_[key] = std::move(object);
}

size_t MemoryStore::object_count() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

size_t MemoryStore::open_uploads() const {
  std::lock_guard lock(mutex_);
  return uploads_.size();
}

std::unique_ptr<store::ObjectWriter> MemoryStore::create(std::string_view key, std::span<const uint8_t> header) {
  store::validate_key(key);
  std::vector<uint8_t> head(header.begin(), header.end());
  return std::make_unique<MemoryWriter>(*this, [this, k = std::string(key), head](std::vector<uint8_t> body) {
    std::lock_guard lock(mutex_);
    objects_[k] = Object{head, std::move(body), ++clock_};
  });
}

std::unique_ptr<store::BodyReader> MemoryStore::open(std::string_view key, const store::BodyRange& range) {
  std::lock_guard lock(mutex_);
  ++calls_.opens;
  auto it = objects_.find(std::string(key));
  if (it == objects_.end()) throw not_found("object", key);
  const Object& o = it->second;
  const uint64_t size = o.body.size();
  uint64_t from = range.suffix_length ? size - std::min(*range.suffix_length, size) : std::min(range.offset, size);
  uint64_t to = range.length && !range.suffix_length ? std::min(size, from + *range.length) : size;
  std::vector<uint8_t> bytes(o.body.begin() + static_cast<std::ptrdiff_t>(from),
                             o.body.begin() + static_cast<std::ptrdiff_t>(to));
  return std::make_unique<MemoryReader>(*this, store::ObjectHead{o.header, size, o.mtime_unix}, std::move(bytes),
                                        faults_);
}

store::ObjectHead MemoryStore::head(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(std::string(key));
  if (it == objects_.end()) throw not_found("object", key);
  return {it->second.header, it->second.body.size(), it->second.mtime_unix};
}

void MemoryStore::remove(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (objects_.erase(std::string(key)) == 0) throw not_found("object", key);
}

store::ListPage MemoryStore::list(std::string_view prefix, std::string_view start_after, size_t limit) {
  if (limit == 0) throw Error(ErrorKind::bad_request, "list limit must be at least 1");
  std::lock_guard lock(mutex_);
  store::ListPage page;
  for (auto it = objects_.upper_bound(std::string(start_after)); it != objects_.end(); ++it) {
    if (!it->first.starts_with(prefix)) continue;
    if (page.entries.size() == limit) {
      page.next_after = page.entries.back().key;
      break;
    }
    page.entries.push_back({it->first, it->second.body.size(), it->second.mtime_unix, it->second.header});
  }
  return page;
}

std::string MemoryStore::begin_upload(std::string_view key, std::span<const uint8_t> header) {
  store::validate_key(key);
  std::lock_guard lock(mutex_);
  std::string id = "mem-upload-" + std::to_string(next_upload_++);
  uploads_[id] = Upload{std::string(key), std::vector<uint8_t>(header.begin(), header.end()), {}};
  return id;
}

std::unique_ptr<store::ObjectWriter> MemoryStore::open_part(std::string_view upload_id, std::string_view key,
                                                            uint32_t part_number, uint64_t body_offset) {
  if (part_number == 0) throw Error(ErrorKind::bad_request, "part numbers start at 1");
  {
    std::lock_guard lock(mutex_);
    auto it = uploads_.find(std::string(upload_id));
    if (it == uploads_.end()) throw not_found("upload", upload_id);
    if (it->second.key != key) throw Error(ErrorKind::conflict, "upload is for another key");
  }
  return std::make_unique<MemoryWriter>(
      *this, [this, id = std::string(upload_id), part_number, body_offset](std::vector<uint8_t> bytes) {
        std::lock_guard lock(mutex_);
        auto it = uploads_.find(id);
        if (it == uploads_.end()) throw not_found("upload", id);  // aborted meanwhile
        it->second.parts[part_number] = Part{body_offset, std::move(bytes)};
      });
}

void MemoryStore::complete_upload(std::string_view upload_id, std::string_view key, uint32_t part_count) {
  std::lock_guard lock(mutex_);
  auto it = uploads_.find(std::string(upload_id));
  if (it == uploads_.end()) throw not_found("upload", upload_id);
  Upload& u = it->second;
  if (u.key != key) throw Error(ErrorKind::conflict, "upload is for another key");
  Object o{u.header, {}, ++clock_};
  for (uint32_t n = 1; n <= part_count; ++n) {
    auto part = u.parts.find(n);
    if (part == u.parts.end()) throw Error(ErrorKind::conflict, "upload is missing part " + std::to_string(n));
    if (part->second.body_offset != o.body.size()) {
      throw Error(ErrorKind::conflict, "part " + std::to_string(n) + " starts at the wrong body offset");
    }
    o.body.insert(o.body.end(), part->second.bytes.begin(), part->second.bytes.end());
  }
  objects_[u.key] = std::move(o);
  uploads_.erase(it);
}

void MemoryStore::abort_upload(std::string_view upload_id, std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = uploads_.find(std::string(upload_id));
  if (it == uploads_.end()) throw not_found("upload", upload_id);
  if (it->second.key != key) throw Error(ErrorKind::conflict, "upload is for another key");
  uploads_.erase(it);
}

size_t MemoryStore::cleanup_expired_uploads(std::chrono::seconds) {
  return 0;
}

void MemoryStore::probe() {
  std::lock_guard lock(mutex_);
  ++calls_.probes;
  if (faults_.probe_fails) throw Error(ErrorKind::backend_unavailable, "injected fault: the store is down");
}

}  // namespace haul::gateway::testing
