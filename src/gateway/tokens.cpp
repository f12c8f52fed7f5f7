#include "gateway/tokens.hpp"

#include <openssl/crypto.h>

#include "core/error.hpp"
#include "gateway/config.hpp"

namespace haul::gateway {

TokenSet TokenSet::load(const std::string& path, const std::string& what) {
  return path.empty() ? TokenSet{} : parse(read_config_file(path, what));
}

TokenSet TokenSet::parse(std::string_view text) {
  TokenSet set;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    set.tokens_.emplace_back(line);
  }
  if (set.tokens_.empty()) throw Error(ErrorKind::config, "token file holds no token");
  return set;
}

std::optional<size_t> TokenSet::match(std::string_view header) const {
  static constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) return std::nullopt;
  std::string_view presented = header.substr(scheme.size());
  std::optional<size_t> match;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto& token = tokens_[i];
    // Lengths are not secret; contents are compared in constant time, and
    // every token is compared whichever matches.
    if (token.size() == presented.size() && CRYPTO_memcmp(token.data(), presented.data(), token.size()) == 0 &&
        !match) {
      match = i;
    }
  }
  return match;
}

}  // namespace haul::gateway
