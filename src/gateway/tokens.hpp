#pragma once
// Bearer tokens from a token file (one a line, '#' comments). Comparison is
// constant-time over every token so timing does not reveal a prefix.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haul::gateway {

class TokenSet {
 public:
  // Throws Error(config) when the file holds no token.
  static TokenSet parse(std::string_view file_text);
  // The file at `path` parsed; an empty path is no tokens (an edge that
  // listens only on a Unix socket has no client token file). Throws
  // Error(config) naming `what` when the file cannot be read or is empty.
  static TokenSet load(const std::string& path, const std::string& what);
  // header: the Authorization header value ("Bearer TOKEN").
  bool authorizes(std::string_view authorization_header) const { return match(authorization_header).has_value(); }
  // Which token the header presents: its index in the file's order (stable
  // while the gateway runs), so per-token state never holds a token.
  std::optional<size_t> match(std::string_view authorization_header) const;
  size_t size() const { return tokens_.size(); }
  // The tokens themselves: only to keep them out of logs (redact.hpp).
  const std::vector<std::string>& tokens() const noexcept { return tokens_; }

 private:
  std::vector<std::string> tokens_;
};

}  // namespace haul::gateway
