#include "store/fs_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/fs_instance.hpp"
#include "store/fs_io.hpp"
#include "store/fs_layout.hpp"
#include "store/fs_list.hpp"
#include "store/fs_object.hpp"
#include "store/fs_temp.hpp"
#include "store/fs_uploads.hpp"

namespace haul::store {

namespace {

using fs::StorePaths;

Error no_such_object(std::string_view key) {
  return Error(ErrorKind::not_found, "no such object '" + std::string(key) + "'");
}

// Reads [extent.begin, extent.end) of the body with pread: the open file
// pins the inode, so an overwrite or remove meanwhile changes nothing here.
class FsBodyReader final : public BodyReader {
 public:
  FsBodyReader(fs::OpenObject object, fs::Extent extent)
      : object_(std::move(object)), at_(extent.begin), end_(extent.end) {}

  const ObjectHead& head() const override { return object_.head; }

  size_t read(std::span<uint8_t> out) override {
    size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), end_ - at_));
    if (want == 0) return 0;
    size_t got = fs::pread_full(object_.fd.get(), out.first(want), object_.body_start + at_, object_.path);
    if (got != want) throw Error(ErrorKind::io, "I/O error: the object shrank while being read", object_.path);
    at_ += got;
    return got;
  }

 private:
  fs::OpenObject object_;
  uint64_t at_;
  uint64_t end_;
};

class FsStoreImpl final : public Store {
 public:
  // paths.tmp is the instance's directory; tmp_root is its parent, DIR/tmp.
  FsStoreImpl(StorePaths paths, std::string tmp_root, fs::InstanceTemp instance)
      : instance_(std::move(instance)), tmp_root_(std::move(tmp_root)), paths_(paths), uploads_(paths) {}

  std::string describe() const override { return "fs:" + paths_.root; }

  std::unique_ptr<ObjectWriter> create(std::string_view key, std::span<const uint8_t> header) override {
    std::string relative = fs::key_to_relative_path(key);
    if (header.size() > fs::kMaxHeaderSize) throw Error(ErrorKind::bad_request, "format header too large");
    fs::TempFile temp(paths_.tmp, ".obj");
    temp.write(fs::encode_object_prefix(static_cast<uint32_t>(header.size())));
    temp.write(header);
    return std::make_unique<fs::TempFileWriter>(std::move(temp),
                                                fs::TempFile::Destination{paths_.objects, std::move(relative), true});
  }

  std::unique_ptr<BodyReader> open(std::string_view key, const BodyRange& range) override {
    fs::OpenObject object = open_file(key);
    fs::Extent extent = fs::body_extent(object.head.body_size, range);
    return std::make_unique<FsBodyReader>(std::move(object), extent);
  }

  ObjectHead head(std::string_view key) override { return open_file(key).head; }

  void remove(std::string_view key) override {
    std::string relative = fs::key_to_relative_path(key);
    std::string path = paths_.objects + "/" + relative;
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) throw no_such_object(key);
      fs::throw_errno(errno, "remove", path);
    }
    // Remove directories left empty, deepest first, never objects/ itself.
    // rmdir fails on a directory that is not empty (or that a concurrent
    // remove already took): that ends the climb. A concurrent create that
    // loses its directory here retries its mkdir + rename (TempFile::publish).
    std::string durable = paths_.objects;
    for (size_t slash = relative.rfind('/'); slash != std::string::npos; slash = relative.rfind('/', slash - 1)) {
      std::string dir = paths_.objects + "/" + relative.substr(0, slash);
      if (::rmdir(dir.c_str()) != 0) {
        durable = dir;
        break;
      }
      if (slash == 0) break;
    }
    fs::fsync_dir_if_exists(durable);
  }

  ListPage list(std::string_view prefix, std::string_view start_after, size_t limit) override {
    return fs::list_objects(paths_.objects, prefix, start_after, limit);
  }

  std::string begin_upload(std::string_view key, std::span<const uint8_t> header) override {
    return uploads_.begin(key, header);
  }
  std::unique_ptr<ObjectWriter> open_part(std::string_view upload_id, std::string_view key, uint32_t part_number,
                                          uint64_t body_offset) override {
    return uploads_.open_part(upload_id, key, part_number, body_offset);
  }
  void complete_upload(std::string_view upload_id, std::string_view key, uint32_t part_count) override {
    uploads_.complete(upload_id, key, part_count);
  }
  void abort_upload(std::string_view upload_id, std::string_view key) override { uploads_.abort(upload_id, key); }

  size_t cleanup_expired_uploads(std::chrono::seconds max_age) override {
    // A gateway that crashed while others kept running is not restarted
    // perhaps: its temp files go here, not only at the next start.
    fs::sweep_dead_instances(tmp_root_);
    return uploads_.cleanup_expired(max_age, std::chrono::system_clock::now());
  }

  void probe() override {
    fs::TempFile probe(paths_.tmp, ".probe");  // unlinked at once by its destructor
  }

 private:
  fs::OpenObject open_file(std::string_view key) {
    std::string path = paths_.objects + "/" + fs::key_to_relative_path(key);
    auto object = fs::open_object(path, true);
    if (!object) throw no_such_object(key);
    return std::move(*object);
  }

  fs::InstanceTemp instance_;  // first member: the last destroyed
  std::string tmp_root_;
  StorePaths paths_;
  fs::Uploads uploads_;
};

}  // namespace

std::unique_ptr<Store> make_fs_store(std::string_view dir) {
  if (dir.empty()) throw Error(ErrorKind::config, "fs store: empty directory (use fs:DIR)");
  std::error_code ec;
  std::filesystem::path root = std::filesystem::absolute(std::filesystem::path(dir), ec);
  if (ec) throw Error(ErrorKind::config, "fs store " + std::string(dir) + ": " + ec.message());
  root = root.lexically_normal();
  std::string root_text = root.string();
  while (root_text.size() > 1 && root_text.back() == '/') root_text.pop_back();
  const std::string tmp_root = root_text + "/tmp";
  StorePaths paths{root_text, root_text + "/objects", tmp_root, root_text + "/uploads"};
  try {
    std::filesystem::create_directories(root, ec);
    if (ec) fs::throw_errno(ec.value(), "mkdir", root_text);
    for (const std::string* sub : {&paths.objects, &paths.tmp, &paths.uploads}) {
      fs::mkdir_below(paths.root, sub->substr(paths.root.size() + 1));
    }
    fs::sweep_dead_instances(tmp_root);
    fs::InstanceTemp instance = fs::InstanceTemp::create(tmp_root);
    paths.tmp = instance.path();
    fs::TempFile probe(paths.tmp, ".probe");  // fails now, not on the first upload, if DIR is read-only
    return std::make_unique<FsStoreImpl>(paths, tmp_root, std::move(instance));
  } catch (const Error& e) {
    throw Error(ErrorKind::config, "fs store " + root_text + " is not usable: " + e.what());
  }
}

}  // namespace haul::store
