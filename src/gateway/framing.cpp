#include "gateway/framing.hpp"

#include <cctype>

#include "http/ows.hpp"

namespace haul::gateway {

using http::trim_ows;

namespace {

bool is_chunked(std::string_view coding) {
  constexpr std::string_view chunked = "chunked";
  if (coding.size() != chunked.size()) return false;
  for (size_t i = 0; i < coding.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(coding[i])) != chunked[i]) return false;
  }
  return true;
}

// The codings of every field value, comma-separated lists flattened; empty
// list elements are skipped (RFC 9110 §5.6.1).
std::vector<std::string_view> codings_of(const std::vector<std::string_view>& values) {
  std::vector<std::string_view> codings;
  for (std::string_view value : values) {
    while (!value.empty()) {
      const size_t comma = value.find(',');
      std::string_view item = trim_ows(value.substr(0, comma));
      if (!item.empty()) codings.push_back(item);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return codings;
}

}  // namespace

std::optional<Error> check_framing(const FramingFacts& facts) {
  if (!facts.transfer_encoding.empty()) {
    if (facts.http10) return Error(ErrorKind::bad_request, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
    const auto codings = codings_of(facts.transfer_encoding);
    if (codings.empty() || !is_chunked(codings.back())) {
      return Error(ErrorKind::bad_request, "Transfer-Encoding must end with chunked (RFC 9112 6.3)");
    }
    for (size_t i = 0; i + 1 < codings.size(); ++i) {
      if (is_chunked(codings[i])) return Error(ErrorKind::bad_request, "chunked may be applied only once");
    }
    if (codings.size() > 1) {
      return Error(ErrorKind::not_implemented,
                   "only Transfer-Encoding: chunked is supported, not " + std::string(codings.front()));
    }
    return std::nullopt;
  }
  if ((facts.method == "PUT" || facts.method == "POST") && !facts.content_length) {
    return Error(ErrorKind::length_required, facts.method == "PUT"
                                                 ? "a PUT needs Content-Length or Transfer-Encoding: chunked"
                                                 : "a POST needs Content-Length or Transfer-Encoding: chunked");
  }
  return std::nullopt;
}

}  // namespace haul::gateway
