#include "gateway/route.hpp"

#include <charconv>

#include "core/error.hpp"
#include "http/url.hpp"

namespace haul::gateway {

namespace {

Route bad(std::string why) {
  Route r;
  r.kind = RouteKind::bad_target;
  r.error = std::move(why);
  return r;
}

bool parse_part_number(std::string_view text, uint32_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && out >= 1 && out <= 10000;
}

}  // namespace

Route parse_route(std::string_view target) {
  std::string_view path = target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  Route r;
  try {
    r.query = http::parse_query(query);
  } catch (const Error& e) {
    return bad(e.what());
  }

  static constexpr std::string_view objects = "/v1/objects";
  static constexpr std::string_view uploads = "/v1/uploads";
  if (path == "/healthz") {
    r.kind = RouteKind::healthz;
  } else if (path == "/readyz") {
    r.kind = RouteKind::readyz;
  } else if (path == "/metrics") {
    r.kind = RouteKind::metrics;
  } else if (path == objects || path == "/v1/objects/") {
    r.kind = RouteKind::object_list;
  } else if (path.starts_with("/v1/objects/")) {
    auto key = http::percent_decode(path.substr(objects.size() + 1));
    if (!key) return bad("undecodable object key");
    r.kind = RouteKind::object;
    r.key = std::move(*key);
  } else if (path == uploads) {
    r.kind = RouteKind::upload_create;
  } else if (path.starts_with("/v1/uploads/")) {
    std::string_view rest = path.substr(uploads.size() + 1);
    size_t slash = rest.find('/');
    r.upload_id = std::string(rest.substr(0, slash));
    if (r.upload_id.empty()) return bad("missing upload id");
    if (slash == std::string_view::npos) {
      r.kind = RouteKind::upload_abort;
    } else {
      std::string_view tail = rest.substr(slash + 1);
      if (tail == "complete") {
        r.kind = RouteKind::upload_complete;
      } else if (tail.starts_with("parts/")) {
        if (!parse_part_number(tail.substr(6), r.part_number)) return bad("part number must be 1..10000");
        r.kind = RouteKind::upload_part;
      } else {
        r.kind = RouteKind::not_found;
      }
    }
  } else if (path == "/upload/files") {
    r.kind = RouteKind::seed_upload;
  } else if (path == "/download/files") {
    r.kind = RouteKind::seed_download;
    auto it = r.query.find("key");
    if (it != r.query.end()) r.key = it->second;
  } else if (path == "/v1/probe/download") {
    r.kind = RouteKind::probe_download;
  } else if (path == "/v1/probe/upload") {
    r.kind = RouteKind::probe_upload;
  } else if (path == "/v1/probe/tcpinfo") {
    r.kind = RouteKind::probe_tcpinfo;
  } else if (path != "/v1" && !path.starts_with("/v1/")) {
    // Everything outside the native names is the S3 API's (s3_target.hpp
    // finds bucket, key and operation); answered only when it is on.
    r.kind = RouteKind::s3;
  }
  return r;
}

}  // namespace haul::gateway
