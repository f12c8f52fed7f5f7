#pragma once
// The S3 front's access keys, from the file named by --s3-credentials-file.
// One key per line:
//
//   ACCESS_KEY_ID:SECRET                  the key may use every bucket
//   ACCESS_KEY_ID:SECRET:BUCKET,BUCKET    the key is limited to those buckets
//
// '#' starts a comment line; blank lines are ignored; whitespace around a
// line and around each field is trimmed. A secret cannot contain ':' (AWS
// secrets are base64-like and never do). A malformed line, an empty id or
// secret, or a repeated id throws Error(config) naming the line number and
// never the secret (error messages end up in logs and on terminals).
//
// Parsing is separate from loading so the format is tested without files.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace haul::s3 {

struct S3Credential {
  std::string access_key;
  std::string secret;
  std::vector<std::string> buckets;  // empty: every bucket

  // Whether this key may touch `bucket` (exact, case-sensitive match).
  bool allows(std::string_view bucket) const;
};

class S3Credentials {
 public:
  static S3Credentials parse(std::string_view text);
  // Reads and parses the file; an unreadable file is Error(config).
  static S3Credentials load(const std::string& path);

  // nullptr for an unknown key. The pointer stays valid while this object
  // (or the one it is moved into: the map's nodes move with it) lives.
  const S3Credential* find(std::string_view access_key) const;
  size_t size() const { return by_key_.size(); }

 private:
  // Node-based: element addresses survive insertions and moves.
  std::unordered_map<std::string, S3Credential> by_key_;
};

}  // namespace haul::s3
