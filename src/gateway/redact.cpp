#include "gateway/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace haul::gateway {

namespace {

constexpr std::string_view kRedacted = "[redacted]";
constexpr int kDecodeLevels = 4;

// A text decoded from the raw one, each byte knowing the raw bytes it came from.
struct Mapped {
  std::string bytes;
  std::vector<std::pair<size_t, size_t>> raw;  // [begin, end) in the raw text, per byte
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One level of percent-decoding; false when nothing was decoded.
bool decode_once(const Mapped& in, Mapped& out) {
  out.bytes.clear();
  out.raw.clear();
  bool decoded = false;
  for (size_t i = 0; i < in.bytes.size(); ++i) {
    if (in.bytes[i] == '%' && i + 2 < in.bytes.size()) {
      int hi = hex_value(in.bytes[i + 1]), lo = hex_value(in.bytes[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.bytes.push_back(static_cast<char>(hi * 16 + lo));
        out.raw.emplace_back(in.raw[i].first, in.raw[i + 2].second);
        i += 2;
        decoded = true;
        continue;
      }
    }
    out.bytes.push_back(in.bytes[i]);
    out.raw.push_back(in.raw[i]);
  }
  return decoded;
}

bool is_credential_name(std::string_view raw_name) {
  static constexpr std::array<std::string_view, 11> kNames = {"token",
                                                              "access_token",
                                                              "auth",
                                                              "authorization",
                                                              "password",
                                                              "secret",
                                                              "signature",
                                                              "sig",
                                                              "x-amz-signature",
                                                              "x-amz-credential",
                                                              "x-amz-security-token"};
  Mapped raw{std::string(raw_name), {}}, decoded;
  for (size_t i = 0; i < raw_name.size(); ++i) raw.raw.emplace_back(i, i + 1);
  std::string name = decode_once(raw, decoded) ? decoded.bytes : raw.bytes;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// Raw ranges holding the values of credential-like query parameters.
void mark_credential_values(std::string_view text, std::vector<std::pair<size_t, size_t>>& marks) {
  size_t q = text.find('?');
  if (q == std::string_view::npos) return;
  for (size_t at = q + 1; at <= text.size();) {
    size_t end = text.find('&', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view param = text.substr(at, end - at);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && eq + 1 < param.size() && is_credential_name(param.substr(0, eq))) {
      marks.emplace_back(at + eq + 1, end);
    }
    at = end + 1;
  }
}

}  // namespace

std::string redact(std::string_view text, std::span<const std::string> secrets) {
  std::vector<std::pair<size_t, size_t>> marks;
  mark_credential_values(text, marks);
  Mapped level{std::string(text), {}};
  level.raw.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) level.raw.emplace_back(i, i + 1);
  for (int depth = 0;; ++depth) {
    for (const std::string& secret : secrets) {
      if (secret.empty()) continue;
      for (size_t at = level.bytes.find(secret); at != std::string::npos; at = level.bytes.find(secret, at + 1)) {
        marks.emplace_back(level.raw[at].first, level.raw[at + secret.size() - 1].second);
      }
    }
    Mapped next;
    if (depth + 1 >= kDecodeLevels || !decode_once(level, next)) break;
    level = std::move(next);
  }
  if (marks.empty()) return std::string(text);
  std::sort(marks.begin(), marks.end());
  std::string out;
  size_t copied = 0;  // raw bytes before this are written (or redacted)
  for (auto [begin, end] : marks) {
    if (end <= copied) continue;  // inside a range already redacted
    if (begin >= copied) {
      out.append(text.substr(copied, begin - copied));
      out.append(kRedacted);
    }
    copied = end;  // an overlapping range extends the one just written
  }
  out.append(text.substr(copied));
  return out;
}

std::string redact_and_cut(std::string_view text, std::span<const std::string> secrets, size_t max_bytes) {
  std::string out = redact(text, secrets);
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    out += "...";
  }
  return out;
}

}  // namespace haul::gateway
