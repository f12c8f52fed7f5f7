#include "s3/credentials_file.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "http/ows.hpp"

namespace haul::s3 {
namespace {

[[noreturn]] void fail(size_t line_no, const std::string& why) {
  throw Error(ErrorKind::config, "S3 credentials file, line " + std::to_string(line_no) + ": " + why);
}

// "a,b , c" -> {"a","b","c"}; an empty name (",," or a trailing ',') is an error
// because it is almost certainly a typo that would otherwise narrow nothing.
std::vector<std::string> parse_buckets(std::string_view list, size_t line_no) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = list.find(',');
    std::string_view name = http::trim_space(list.substr(0, comma));
    if (name.empty()) fail(line_no, "empty bucket name in the bucket list");
    out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

S3Credential parse_line(std::string_view line, size_t line_no) {
  size_t first = line.find(':');
  if (first == std::string_view::npos) fail(line_no, "expected ACCESS_KEY_ID:SECRET[:BUCKET,...]");
  std::string_view id = http::trim_space(line.substr(0, first));
  std::string_view rest = line.substr(first + 1);
  size_t second = rest.find(':');
  std::string_view secret = http::trim_space(rest.substr(0, second));
  if (id.empty()) fail(line_no, "empty access key id");
  if (secret.empty()) fail(line_no, "empty secret for access key " + std::string(id));
  // Ids go into Authorization headers and URLs: printable, no spaces or '/'.
  if (!std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f && c != '/'; })) {
    fail(line_no, "access key id has a space, '/' or a non-ASCII character");
  }
  S3Credential cred{std::string(id), std::string(secret), {}};
  if (second != std::string_view::npos) cred.buckets = parse_buckets(rest.substr(second + 1), line_no);
  return cred;
}

}  // namespace

bool S3Credential::allows(std::string_view bucket) const {
  return buckets.empty() || std::find(buckets.begin(), buckets.end(), bucket) != buckets.end();
}

S3Credentials S3Credentials::parse(std::string_view text) {
  S3Credentials out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = http::trim_space(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    S3Credential cred = parse_line(line, line_no);
    std::string key = cred.access_key;
    if (!out.by_key_.emplace(key, std::move(cred)).second) fail(line_no, "duplicate access key id " + key);
  }
  return out;
}

S3Credentials S3Credentials::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, "cannot read the S3 credentials file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(ErrorKind::config, "cannot read the S3 credentials file " + path);
  return parse(text.str());
}

const S3Credential* S3Credentials::find(std::string_view access_key) const {
  auto it = by_key_.find(std::string(access_key));
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace haul::s3
