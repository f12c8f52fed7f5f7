// libFuzzer target for the request-target router and the stripe query, the
// gateway's parsers of untrusted bytes before any handler runs. Input: a
// request-target. Checks that they answer or throw haul::Error, and the
// stripe query's invariants when it parses.

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "gateway/route.hpp"
#include "gateway/s3_target.hpp"
#include "gateway/stripe_query.hpp"
#include "s3/api_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  haul::gateway::Route route = haul::gateway::parse_route(target);
  if (route.kind == haul::gateway::RouteKind::s3) {
    // The S3 API's own reading of the same bytes: as a target (and its
    // first bytes as a Host), as x-amz-copy-source and its range. Only
    // s3::ApiError may come out.
    try {
      haul::gateway::parse_s3_target("PUT", target, target.substr(0, size / 4), "s3.example.com", size % 2 == 0);
    } catch (const haul::s3::ApiError&) {
    }
    try {
      haul::gateway::parse_copy_source(target);
    } catch (const haul::s3::ApiError&) {
    }
    try {
      haul::gateway::parse_copy_source_range(target);
    } catch (const haul::s3::ApiError&) {
    }
    return 0;
  }
  if (route.kind != haul::gateway::RouteKind::object || !route.query.contains("stripe")) return 0;
  try {
    auto q = haul::gateway::parse_stripe_query(route.query);
    const auto& l = q.layout;
    if (q.stripe >= l.count || l.length(q.stripe) == 0 || l.offset(l.count - 1) + l.length(l.count - 1) != l.size)
      __builtin_trap();
    if (q.upload.size() < 8 || q.upload.size() > 64 || q.sha256_hex.size() != 64) __builtin_trap();
  } catch (const haul::Error&) {
  }
  return 0;
}
