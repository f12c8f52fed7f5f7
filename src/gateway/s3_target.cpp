#include "gateway/s3_target.hpp"

#include <array>
#include <cctype>
#include <charconv>

#include "core/error.hpp"
#include "http/url.hpp"
#include "s3/api_error.hpp"

namespace haul::gateway {

namespace {

// Sub-resources of the S3 API that haul does not offer (ACLs, policies,
// versioning, lifecycle, SSE, ... are out of scope): a request naming one
// gets 501 NotImplemented rather than being served as a plain object or
// bucket request, which would silently do the wrong thing.
constexpr std::array kUnsupported = {"accelerate",
                                     "acl",
                                     "analytics",
                                     "cors",
                                     "encryption",
                                     "intelligent-tiering",
                                     "inventory",
                                     "legal-hold",
                                     "lifecycle",
                                     "logging",
                                     "metrics",
                                     "notification",
                                     "object-lock",
                                     "ownershipControls",
                                     "policy",
                                     "policyStatus",
                                     "publicAccessBlock",
                                     "replication",
                                     "requestPayment",
                                     "restore",
                                     "retention",
                                     "select",
                                     "tagging",
                                     "torrent",
                                     "versioning",
                                     "website"};

std::string_view strip_port(std::string_view host) {
  if (host.starts_with('[')) {  // [v6]:port
    auto end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(0, end + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

// "bucket" when host is "bucket.DOMAIN" (case-insensitive), "" otherwise.
std::string bucket_from_host(std::string_view host, std::string_view domain) {
  if (domain.empty()) return {};
  host = strip_port(host);
  if (host.size() <= domain.size() + 1) return {};
  const std::string_view tail = host.substr(host.size() - domain.size());
  for (size_t i = 0; i < domain.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(tail[i])) != std::tolower(static_cast<unsigned char>(domain[i]))) {
      return {};
    }
  }
  if (host[host.size() - domain.size() - 1] != '.') return {};
  return std::string(host.substr(0, host.size() - domain.size() - 1));
}

S3Op bucket_op(std::string_view method, const S3Target& t) {
  const auto& q = t.query;
  if (method == "GET") {
    if (q.contains("location")) return S3Op::get_bucket_location;
    if (q.contains("uploads")) return S3Op::list_multipart_uploads;
    if (q.contains("versions")) return S3Op::list_object_versions;
    auto lt = q.find("list-type");
    return lt != q.end() && lt->second == "2" ? S3Op::list_objects_v2 : S3Op::list_objects_v1;
  }
  if (method == "PUT") return S3Op::create_bucket;
  if (method == "HEAD") return S3Op::head_bucket;
  if (method == "DELETE") return S3Op::delete_bucket;
  if (method == "POST" && q.contains("delete")) return S3Op::delete_objects;
  return S3Op::method_not_allowed;
}

S3Op object_op(std::string_view method, const S3Target& t, bool has_copy_source) {
  const auto& q = t.query;
  const bool upload = q.contains("uploadId");
  if (method == "PUT") {
    if (upload || q.contains("partNumber")) return has_copy_source ? S3Op::upload_part_copy : S3Op::upload_part;
    return has_copy_source ? S3Op::copy_object : S3Op::put_object;
  }
  if (method == "GET") {
    if (upload) return S3Op::list_parts;
    return q.contains("attributes") ? S3Op::get_object_attributes : S3Op::get_object;
  }
  if (method == "HEAD") return S3Op::head_object;
  if (method == "DELETE") return upload ? S3Op::abort_multipart : S3Op::delete_object;
  if (method == "POST") {
    if (q.contains("uploads")) return S3Op::create_multipart;
    if (upload) return S3Op::complete_multipart;
  }
  return S3Op::method_not_allowed;
}

}  // namespace

S3Target parse_s3_target(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view domain, bool has_copy_source) {
  const auto parts = http::split_target(target);
  S3Target t;
  try {
    t.query = http::parse_query(parts.query);
  } catch (const Error&) {
    throw s3::ApiError(400, "InvalidURI", "could not decode the query string");
  }
  if (!parts.path.starts_with('/')) throw s3::ApiError(400, "InvalidURI", "the request path must start with '/'");
  auto path = http::percent_decode(parts.path.substr(1));
  if (!path) throw s3::ApiError(400, "InvalidURI", "could not decode the request path");

  t.bucket = bucket_from_host(host, domain);
  if (t.bucket.empty()) {
    // Path style: the first segment is the bucket, the rest (slashes and
    // all) the key.
    const auto slash = path->find('/');
    t.bucket = path->substr(0, slash);
    if (slash != std::string::npos) t.key = path->substr(slash + 1);
  } else {
    t.key = std::move(*path);
  }

  if (auto v = t.query.find("versionId"); v != t.query.end() && v->second != "null") {
    throw s3::ApiError(400, "InvalidArgument", "Invalid version id specified: haul keeps no versions");
  }
  for (const char* name : kUnsupported) {
    if (t.query.contains(name)) {
      t.op = S3Op::unsupported;
      t.detail = name;
      return t;
    }
  }
  if (t.bucket.empty()) {
    t.op = method == "GET" ? S3Op::list_buckets : S3Op::method_not_allowed;
  } else if (t.key.empty()) {
    t.op = bucket_op(method, t);
  } else {
    t.op = object_op(method, t, has_copy_source);
  }
  return t;
}

CopySource parse_copy_source(std::string_view header) {
  auto bad = [](const char* why) {
    return s3::ApiError(400, "InvalidArgument", std::string("x-amz-copy-source ") + why);
  };
  if (auto q = header.find('?'); q != std::string_view::npos) {
    const auto query = header.substr(q + 1);
    if (query != "versionId=null" && !query.empty()) throw bad("names a version; haul keeps none");
    header = header.substr(0, q);
  }
  if (header.starts_with('/')) header.remove_prefix(1);
  auto decoded = http::percent_decode(header);
  if (!decoded) throw bad("is not percent-encoded correctly");
  const auto slash = decoded->find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == decoded->size()) {
    throw bad("must be BUCKET/KEY");
  }
  return {decoded->substr(0, slash), decoded->substr(slash + 1)};
}

CopyRange parse_copy_source_range(std::string_view header) {
  auto bad = [] { return s3::ApiError(400, "InvalidArgument", "x-amz-copy-source-range must be bytes=FIRST-LAST"); };
  if (!header.starts_with("bytes=")) throw bad();
  header.remove_prefix(6);
  const auto dash = header.find('-');
  if (dash == std::string_view::npos) throw bad();
  CopyRange r;
  auto parse = [&](std::string_view text, uint64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) throw bad();
  };
  parse(header.substr(0, dash), r.first);
  parse(header.substr(dash + 1), r.last);
  if (r.first > r.last) throw bad();
  return r;
}

std::string_view s3_op_name(S3Op op) {
  switch (op) {
    case S3Op::list_buckets: return "ListBuckets";
    case S3Op::create_bucket: return "CreateBucket";
    case S3Op::head_bucket: return "HeadBucket";
    case S3Op::delete_bucket: return "DeleteBucket";
    case S3Op::get_bucket_location: return "GetBucketLocation";
    case S3Op::list_objects_v1: return "ListObjects";
    case S3Op::list_objects_v2: return "ListObjectsV2";
    case S3Op::list_object_versions: return "ListObjectVersions";
    case S3Op::delete_objects: return "DeleteObjects";
    case S3Op::list_multipart_uploads: return "ListMultipartUploads";
    case S3Op::put_object: return "PutObject";
    case S3Op::copy_object: return "CopyObject";
    case S3Op::get_object: return "GetObject";
    case S3Op::head_object: return "HeadObject";
    case S3Op::get_object_attributes: return "GetObjectAttributes";
    case S3Op::delete_object: return "DeleteObject";
    case S3Op::create_multipart: return "CreateMultipartUpload";
    case S3Op::upload_part: return "UploadPart";
    case S3Op::upload_part_copy: return "UploadPartCopy";
    case S3Op::complete_multipart: return "CompleteMultipartUpload";
    case S3Op::abort_multipart: return "AbortMultipartUpload";
    case S3Op::list_parts: return "ListParts";
    case S3Op::unsupported: return "Unsupported";
    case S3Op::method_not_allowed: return "MethodNotAllowed";
  }
  return "Unknown";
}

}  // namespace haul::gateway
