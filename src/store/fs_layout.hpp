#pragma once
// The fs store's on-disk names and file formats, sans-IO (docs/store.md).
//
// Key -> path: every segment but the last names a directory "<seg>.dir", the
// last names a file "<seg>.obj". Files and directories never share a name,
// so keys "a" (a.obj) and "a/b" (a.dir/b.obj) coexist, and a directory
// listing decodes back to key segments without ambiguity. An empty segment
// is just the suffix: "a/" is a.dir/.obj, "a//b" a.dir/.dir/b.obj.
//
// Object file:  "HLFS" | u32 LE header length | header | body
// Part file:    "HLPT" | u32 LE 0 | u64 LE body offset | part body
// Upload meta:  "HLUP" | u32 LE key length | key | u32 LE header length | header

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace haul::store::fs {

inline constexpr std::string_view kObjectSuffix = ".obj";
inline constexpr std::string_view kDirSuffix = ".dir";

// Largest header the store accepts or believes when reading a file back.
inline constexpr uint32_t kMaxHeaderSize = 64 * 1024;

// Validates `key` (validate_key) and returns its path relative to objects/.
std::string key_to_relative_path(std::string_view key);

// One entry of a directory under objects/, decoded. Names that are neither
// "<seg>.obj" nor "<seg>.dir" (foreign files) decode to nothing.
struct EntryName {
  std::string segment;
  bool is_dir = false;
};
std::optional<EntryName> decode_entry_name(std::string_view name);

inline constexpr size_t kObjectPrefixSize = 8;
std::array<uint8_t, kObjectPrefixSize> encode_object_prefix(uint32_t header_size);
// Returns the header length. Throws Error(integrity) when the prefix is not
// one this store wrote.
uint32_t parse_object_prefix(std::span<const uint8_t> prefix, const std::string& path);

inline constexpr size_t kPartPrefixSize = 16;
std::array<uint8_t, kPartPrefixSize> encode_part_prefix(uint64_t body_offset);
// Returns the part's body offset. Throws Error(integrity) on a foreign prefix.
uint64_t parse_part_prefix(std::span<const uint8_t> prefix, const std::string& path);

struct UploadMeta {
  std::string key;
  std::vector<uint8_t> header;
};
std::vector<uint8_t> encode_upload_meta(const UploadMeta& meta);
// Throws Error(integrity) on anything but exactly what encode_upload_meta wrote.
UploadMeta parse_upload_meta(std::span<const uint8_t> bytes, const std::string& path);

}  // namespace haul::store::fs
