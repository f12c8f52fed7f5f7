#include "gateway/stripe_query.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/error.hpp"
#include "core/hex.hpp"

namespace haul::gateway {

namespace {

using Query = std::map<std::string, std::string>;

const std::string& query_value(const Query& query, const char* name) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) {
    throw Error(ErrorKind::bad_request, std::string("a stripe needs ?") + name + "=");
  }
  return it->second;
}

uint64_t query_number(const Query& query, const char* name) {
  const std::string& text = query_value(query, name);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorKind::bad_request, std::string("?") + name + "= must be a non-negative integer");
  }
  return value;
}

}  // namespace

StripeQuery parse_stripe_query(const Query& query) {
  StripeQuery q;
  q.upload = query_value(query, "upload");
  const bool id_ok =
      q.upload.size() >= 8 && q.upload.size() <= 64 && std::all_of(q.upload.begin(), q.upload.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      });
  if (!id_ok) throw Error(ErrorKind::bad_request, "?upload= must be 8..64 letters, digits, '-' or '_'");
  const uint64_t stripes = query_number(query, "stripes");
  if (stripes > kMaxStripes) {
    throw Error(ErrorKind::bad_request, "stripes must be at most " + std::to_string(kMaxStripes));
  }
  q.layout = stripe_layout(query_number(query, "size"), static_cast<uint32_t>(stripes));
  const uint64_t stripe = query_number(query, "stripe");
  if (stripe >= q.layout.count) {
    throw Error(ErrorKind::bad_request,
                "stripe " + std::to_string(stripe) + " of " + std::to_string(q.layout.count) + " (they count from 0)");
  }
  q.stripe = static_cast<uint32_t>(stripe);
  auto digest = from_hex(query_value(query, "sha256"));
  if (!digest || digest->size() != 32) throw Error(ErrorKind::bad_request, "?sha256= must be 64 hex digits");
  std::copy(digest->begin(), digest->end(), q.sha256.begin());
  q.sha256_hex = to_hex(*digest);
  return q;
}

}  // namespace haul::gateway
