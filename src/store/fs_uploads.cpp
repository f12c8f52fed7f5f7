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
#include "store/fs_io.hpp"
#include "store/fs_object.hpp"
#include "store/fs_temp.hpp"

namespace haul::store::fs {

namespace {

constexpr std::string_view kMetaName = "meta";
constexpr std::string_view kClaimSuffix = ".completing";

std::string part_name(uint32_t n) {
  return "part-" + std::to_string(n);
}

Error no_such_upload(std::string_view id) {
  return Error(ErrorKind::not_found, "no such upload '" + std::string(id) + "'");
}

std::vector<uint8_t> read_whole(const std::string& path, size_t max_size) {
  Fd fd = open_file(path, O_RDONLY);
  std::vector<uint8_t> bytes(max_size + 1);
  bytes.resize(pread_full(fd.get(), bytes, 0, path));
  return bytes;
}

}  // namespace

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
  load_meta(id, key);
  TempFile temp(paths_.tmp, ".part");
  temp.write(encode_part_prefix(body_offset));
  // Without make_parents: if the upload is aborted or completed before this
  // part commits, the rename fails with not_found instead of resurrecting it.
  return std::make_unique<TempFileWriter>(std::move(temp),
                                          TempFile::Destination{upload_dir(id), part_name(part_number), false});
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
    TempFile object(paths_.tmp, ".obj");
    object.write(encode_object_prefix(static_cast<uint32_t>(meta.header.size())));
    object.write(meta.header);
    uint64_t expected_offset = 0;
    for (uint32_t n = 1; n <= part_count; ++n) {
      std::string path = claimed + "/" + part_name(n);
      Fd part = open_if_exists(path, O_RDONLY);
      if (!part.valid()) throw Error(ErrorKind::conflict, "upload is missing part " + std::to_string(n));
      struct stat st {};
      if (::fstat(part.get(), &st) != 0) throw_errno(errno, "stat", path);
      std::array<uint8_t, kPartPrefixSize> prefix{};
      uint64_t offset = parse_part_prefix(std::span(prefix.data(), pread_full(part.get(), prefix, 0, path)), path);
      if (offset != expected_offset) {
        throw Error(ErrorKind::conflict, "part " + std::to_string(n) + " starts at body offset " +
                                             std::to_string(offset) + ", expected " + std::to_string(expected_offset));
      }
      uint64_t size = static_cast<uint64_t>(st.st_size) - kPartPrefixSize;
      copy_range(part.get(), kPartPrefixSize, object.fd(), size, path);
      expected_offset += size;
    }
    object.publish(TempFile::Destination{paths_.objects, key_to_relative_path(key), true});
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
  std::error_code ignored;
  std::filesystem::remove_all(doomed, ignored);
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
