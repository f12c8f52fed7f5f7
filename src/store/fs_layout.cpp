#include "store/fs_layout.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "store/store.hpp"

namespace haul::store::fs {

namespace {

void put_u32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}
uint64_t get_u64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

Error corrupt(const std::string& path, const std::string& why) {
  return Error(ErrorKind::integrity, "corrupt store file (" + why + ")", path);
}

}  // namespace

std::string key_to_relative_path(std::string_view key) {
  validate_key(key);
  std::string out;
  out.reserve(key.size() + 16);
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      out.append(key.substr(start)).append(kObjectSuffix);
      return out;
    }
    out.append(key.substr(start, slash - start)).append(kDirSuffix).push_back('/');
    start = slash + 1;
  }
}

std::optional<EntryName> decode_entry_name(std::string_view name) {
  auto strip = [&](std::string_view suffix) -> std::optional<std::string> {
    // ".obj" and ".dir" alone are the empty segment (keys "dir/", "a//b").
    if (!name.ends_with(suffix)) return std::nullopt;
    return std::string(name.substr(0, name.size() - suffix.size()));
  };
  if (auto seg = strip(kObjectSuffix)) return EntryName{std::move(*seg), false};
  if (auto seg = strip(kDirSuffix)) return EntryName{std::move(*seg), true};
  return std::nullopt;
}

std::array<uint8_t, kObjectPrefixSize> encode_object_prefix(uint32_t header_size) {
  std::array<uint8_t, kObjectPrefixSize> out{};
  std::memcpy(out.data(), "HLFS", 4);
  put_u32(out.data() + 4, header_size);
  return out;
}

uint32_t parse_object_prefix(std::span<const uint8_t> prefix, const std::string& path) {
  if (prefix.size() < kObjectPrefixSize) throw corrupt(path, "shorter than its prefix");
  if (std::memcmp(prefix.data(), "HLFS", 4) != 0) throw corrupt(path, "bad magic");
  uint32_t size = get_u32(prefix.data() + 4);
  if (size > kMaxHeaderSize) throw corrupt(path, "header length out of range");
  return size;
}

std::array<uint8_t, kPartPrefixSize> encode_part_prefix(uint64_t body_offset) {
  std::array<uint8_t, kPartPrefixSize> out{};
  std::memcpy(out.data(), "HLPT", 4);
  put_u32(out.data() + 4, 0);
  put_u64(out.data() + 8, body_offset);
  return out;
}

uint64_t parse_part_prefix(std::span<const uint8_t> prefix, const std::string& path) {
  if (prefix.size() < kPartPrefixSize) throw corrupt(path, "shorter than its prefix");
  if (std::memcmp(prefix.data(), "HLPT", 4) != 0 || get_u32(prefix.data() + 4) != 0) throw corrupt(path, "bad magic");
  return get_u64(prefix.data() + 8);
}

std::vector<uint8_t> encode_upload_meta(const UploadMeta& meta) {
  std::vector<uint8_t> out(12 + meta.key.size() + meta.header.size());
  uint8_t* p = out.data();
  // std::copy: the magic and the key are bytes, not C strings (clang-tidy's
  // not-null-terminated-result check reads memcpy of string data as one).
  std::copy_n("HLUP", 4, p);
  put_u32(p + 4, static_cast<uint32_t>(meta.key.size()));
  std::copy(meta.key.begin(), meta.key.end(), p + 8);
  p += 8 + meta.key.size();
  put_u32(p, static_cast<uint32_t>(meta.header.size()));
  if (!meta.header.empty()) std::memcpy(p + 4, meta.header.data(), meta.header.size());
  return out;
}

UploadMeta parse_upload_meta(std::span<const uint8_t> bytes, const std::string& path) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "HLUP", 4) != 0) throw corrupt(path, "bad magic");
  uint64_t key_size = get_u32(bytes.data() + 4);
  if (key_size > 1024 || 12 + key_size > bytes.size()) throw corrupt(path, "key length out of range");
  UploadMeta meta;
  meta.key.assign(reinterpret_cast<const char*>(bytes.data() + 8), key_size);
  const uint8_t* p = bytes.data() + 8 + key_size;
  uint64_t header_size = get_u32(p);
  if (header_size > kMaxHeaderSize || 12 + key_size + header_size != bytes.size()) {
    throw corrupt(path, "header length out of range");
  }
  meta.header.assign(p + 4, p + 4 + header_size);
  return meta;
}

}  // namespace haul::store::fs
