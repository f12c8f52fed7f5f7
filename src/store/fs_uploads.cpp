#include "store/fs_uploads.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "store/fs_assembly.hpp"
#include "store/fs_io.hpp"
#include "store/fs_object.hpp"
#include "store/fs_temp.hpp"

namespace haul::store::fs {

namespace {

constexpr std::string_view kMetaName = "meta";
constexpr std::string_view kClaimSuffix = ".completing";

Error no_such_upload(std::string_view id) {
  return Error(ErrorKind::not_found, "no such upload '" + std::string(id) + "'");
}

std::vector<uint8_t> read_whole(const std::string& path, size_t max_size) {
  Fd fd = open_file(path, O_RDONLY);
  std::vector<uint8_t> bytes(max_size + 1);
  bytes.resize(pread_full(fd.get(), bytes, 0, path));
  return bytes;
}

// A part's writer: the part file through a TempFile as any object, and
// once it is committed, its copy into the upload's body (fs_assembly.hpp).
class PartWriter final : public ObjectWriter {
 public:
  PartWriter(TempFile temp, std::string upload_dir, uint32_t part_number, uint64_t data_offset, std::string boot_id)
      : file_(std::move(temp), TempFile::Destination{upload_dir, part_file_name(part_number), false}),
        upload_dir_(std::move(upload_dir)),
        part_number_(part_number),
        data_offset_(data_offset),
        boot_id_(std::move(boot_id)) {}
  void write(std::span<const uint8_t> body_bytes) override { file_.write(body_bytes); }
  void commit() override {
    file_.commit();
    assemble_committed_part(upload_dir_, part_number_, data_offset_, boot_id_);
  }

 private:
  TempFileWriter file_;
  std::string upload_dir_;
  uint32_t part_number_;
  uint64_t data_offset_;
  std::string boot_id_;
};

// Where the body starts in an object file whose header is this long.
uint64_t data_offset_for(const std::vector<uint8_t>& header) {
  return kObjectPrefixSize + header.size();
}

}  // namespace

Uploads::Uploads(StorePaths paths) : paths_(std::move(paths)), boot_id_(read_boot_id()) {}

std::string Uploads::begin(std::string_view key, std::span<const uint8_t> header) {
  validate_key(key);
  if (header.size() > kMaxHeaderSize) throw Error(ErrorKind::bad_request, "format header too large");
  std::string id = random_hex_id();
  // Built in tmp/ and renamed into uploads/: an upload appears with its meta
  // file or not at all (a crash leaves only tmp/ debris).
  std::string staging = paths_.tmp + "/" + id + ".upload";
  if (::mkdir(staging.c_str(), 0755) != 0) throw_errno(errno, "mkdir", staging);
  try {
    std::string meta_path = staging + "/" + std::string(kMetaName);
    Fd meta = open_file(meta_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    write_all(meta.get(), encode_upload_meta(UploadMeta{std::string(key), {header.begin(), header.end()}}), meta_path);
    fsync_fd(meta.get(), meta_path);
    // The object file the parts are copied into as they arrive. Not fsynced:
    // complete() writes its prefix and header again and fsyncs it whole.
    std::string body_path = staging + "/" + std::string(kBodyName);
    Fd body = open_file(body_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    write_all(body.get(), encode_object_prefix(static_cast<uint32_t>(header.size())), body_path);
    write_all(body.get(), header, body_path);
    fsync_dir(staging);
    std::string target = upload_dir(id);
    if (::rename(staging.c_str(), target.c_str()) != 0) throw_errno(errno, "rename to", target);
    fsync_dir(paths_.uploads);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
    throw;
  }
  return id;
}

UploadMeta Uploads::load_meta(std::string_view id, std::string_view key) const {
  if (!is_random_hex_id(id)) throw no_such_upload(id);
  std::string path = upload_dir(id) + "/" + std::string(kMetaName);
  std::vector<uint8_t> bytes;
  try {
    bytes = read_whole(path, 12 + 1024 + kMaxHeaderSize);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) throw no_such_upload(id);
    throw;
  }
  UploadMeta meta = parse_upload_meta(bytes, path);
  if (meta.key != key) {
    throw Error(ErrorKind::conflict, "upload '" + std::string(id) + "' is for another key");
  }
  return meta;
}

std::unique_ptr<ObjectWriter> Uploads::open_part(std::string_view id, std::string_view key, uint32_t part_number,
                                                 uint64_t body_offset) {
  if (part_number == 0) throw Error(ErrorKind::bad_request, "part numbers start at 1");
  const UploadMeta meta = load_meta(id, key);
  TempFile temp(paths_.tmp, ".part");
  temp.write(encode_part_prefix(body_offset));
  // Without make_parents: if the upload is aborted or completed before this
  // part commits, the rename fails with not_found instead of resurrecting it.
  return std::make_unique<PartWriter>(std::move(temp), upload_dir(id), part_number, data_offset_for(meta.header),
                                      boot_id_);
}

void Uploads::complete(std::string_view id, std::string_view key, uint32_t part_count) {
  UploadMeta meta = load_meta(id, key);
  std::string live = upload_dir(id);
  std::string claimed = live + std::string(kClaimSuffix);
  if (::rename(live.c_str(), claimed.c_str()) != 0) {
    if (errno == ENOENT) throw no_such_upload(id);
    throw_errno(errno, "rename", live);
  }
  // From here on no part can be added and no abort or other complete can
  // take this upload. On failure the upload is put back as it was.
  try {
    // Uploads begun before bodies existed have none: one is made here, and
    // no mark counts for it (marks say what went into the body there was).
    const std::string body_path = claimed + "/" + std::string(kBodyName);
    Fd body = open_if_exists(body_path, O_RDWR);
    const bool trust_marks = body.valid();
    if (!body.valid()) body = open_file(body_path, O_RDWR | O_CREAT | O_EXCL, 0644);
    // Written again: a body whose first bytes a power cut lost must not be
    // published with them missing.
    write_all(body.get(), encode_object_prefix(static_cast<uint32_t>(meta.header.size())), body_path);
    write_all(body.get(), meta.header, body_path);
    const uint64_t data_offset = data_offset_for(meta.header);
    uint64_t expected_offset = 0;
    for (uint32_t n = 1; n <= part_count; ++n) {
      std::string path = claimed + "/" + part_file_name(n);
      Fd part = open_if_exists(path, O_RDONLY);
      if (!part.valid()) throw Error(ErrorKind::conflict, "upload is missing part " + std::to_string(n));
      const PartPlace place = read_part_place(part.get(), path);
      if (place.offset != expected_offset) {
        throw Error(ErrorKind::conflict, "part " + std::to_string(n) + " starts at body offset " +
                                             std::to_string(place.offset) + ", expected " +
                                             std::to_string(expected_offset));
      }
      const PartLock lock(body.get(), n);  // waits for a copy of this part under way
      if (!trust_marks || !lock.held() || !is_assembled(part.get(), boot_id_))
        copy_part_into_body(part.get(), place, body.get(), data_offset, path);
      expected_offset += place.size;
    }
    // Parts beyond part_count may have been copied too: they are not the object's.
    if (::ftruncate(body.get(), static_cast<off_t>(data_offset + expected_offset)) != 0) {
      throw_errno(errno, "truncate", body_path);
    }
    fsync_fd(body.get(), body_path);
    const std::string parent =
        rename_into(body_path, PublishDestination{paths_.objects, key_to_relative_path(key), true});
    fsync_dir_if_exists(parent);
  } catch (...) {
    ::rename(claimed.c_str(), live.c_str());
    throw;
  }
  discard(claimed);
}

void Uploads::abort(std::string_view id, std::string_view key) {
  load_meta(id, key);
  try {
    discard(upload_dir(id));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) throw no_such_upload(id);
    throw;
  }
}

void Uploads::discard(const std::string& path) const {
  std::string doomed = paths_.tmp + "/" + random_hex_id() + ".discard";
  if (::rename(path.c_str(), doomed.c_str()) != 0) throw_errno(errno, "rename", path);
  // The upload is gone from uploads/ now: that is the operation's effect. If
  // deleting its files fails, they are debris in this instance's temp directory,
  // removed with it (at exit, or by a sweep once this process is gone).
  // A part whose rename into the upload raced with ours (its target
  // directory looked up before our rename, the rename done after) lands in
  // `doomed` after remove_all has listed it, and the directory stays: one
  // more pass takes it.
  std::error_code failed;
  for (int pass = 0; pass < 3; ++pass) {
    std::filesystem::remove_all(doomed, failed);
    if (!failed) break;
  }
}

size_t Uploads::cleanup_expired(std::chrono::seconds max_age, std::chrono::system_clock::time_point now) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(paths_.uploads.c_str());
  if (dir == nullptr) throw_errno(errno, "list", paths_.uploads);
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  size_t removed = 0;
  for (const std::string& name : names) {
    std::string path = paths_.uploads + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
    if (now_s - static_cast<int64_t>(st.st_mtim.tv_sec) <= max_age.count()) continue;
    try {
      discard(path);
      ++removed;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::not_found) throw;  // completed or aborted meanwhile
    }
  }
  return removed;
}

}  // namespace haul::store::fs
