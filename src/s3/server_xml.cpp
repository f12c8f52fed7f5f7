// Rendering of the S3 server's response documents (s3/server_xml.hpp).
#include "s3/server_xml.hpp"

#include <algorithm>

#include "core/utc_time.hpp"
#include "http/url.hpp"
#include "s3/xml.hpp"

namespace haul::s3 {
namespace {

constexpr std::string_view prolog = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string begin(std::string_view root) {
  std::string out(prolog);
  out += "<";
  out += root;
  out += " xmlns=\"";
  out += s3_xmlns;
  out += "\">";
  return out;
}

void end(std::string& out, std::string_view root) {
  out += "</";
  out += root;
  out += ">";
}

// <name>text</name>, text escaped.
void el(std::string& out, std::string_view name, std::string_view text) {
  out += "<";
  out += name;
  out += ">";
  out += xml_escape(text);
  out += "</";
  out += name;
  out += ">";
}

void el(std::string& out, std::string_view name, uint64_t number) {
  el(out, name, std::to_string(number));
}

void el_bool(std::string& out, std::string_view name, bool value) {
  el(out, name, value ? "true" : "false");
}

std::string quoted(std::string_view etag) {
  return "\"" + std::string(etag) + "\"";
}

// Text that encoding-type=url encodes when asked.
std::string maybe_encoded(std::string_view text, bool url_encoding) {
  return url_encoding ? url_encode_value(text) : std::string(text);
}

void owner_el(std::string& out, const Owner& owner) {
  out += "<Owner>";
  el(out, "ID", owner.id);
  el(out, "DisplayName", owner.display_name);
  out += "</Owner>";
}

void contents_el(std::string& out, const ListedObject& o, bool url_encoding, const Owner* owner) {
  out += "<Contents>";
  el(out, "Key", maybe_encoded(o.key, url_encoding));
  el(out, "LastModified", iso8601(o.mtime_unix));
  el(out, "ETag", quoted(o.etag));
  el(out, "Size", o.size);
  if (owner) owner_el(out, *owner);
  el(out, "StorageClass", "STANDARD");
  out += "</Contents>";
}

void common_prefixes_el(std::string& out, const std::vector<std::string>& prefixes, bool url_encoding) {
  for (const auto& p : prefixes) {
    out += "<CommonPrefixes>";
    el(out, "Prefix", maybe_encoded(p, url_encoding));
    out += "</CommonPrefixes>";
  }
}

// Etag and time, the shape of CopyObjectResult and CopyPartResult.
std::string copy_result(std::string_view root, std::string_view etag, int64_t mtime_unix) {
  std::string out = begin(root);
  el(out, "LastModified", iso8601(mtime_unix));
  el(out, "ETag", quoted(etag));
  end(out, root);
  return out;
}

}  // namespace

std::string iso8601(int64_t unix_seconds) {
  return format_utc(unix_seconds, "%Y-%m-%dT%H:%M:%S.000Z");
}

std::string url_encode_value(std::string_view text) {
  return http::percent_encode(text, true);
}

std::string normalize_etag(std::string_view etag) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!etag.empty() && is_space(etag.front())) etag.remove_prefix(1);
  while (!etag.empty() && is_space(etag.back())) etag.remove_suffix(1);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::string error_document(std::string_view code, std::string_view message, std::string_view resource,
                           std::string_view request_id) {
  // S3's <Error> carries no namespace.
  std::string out(prolog);
  out += "<Error>";
  el(out, "Code", code);
  el(out, "Message", message);
  el(out, "Resource", resource);
  el(out, "RequestId", request_id);
  out += "</Error>";
  return out;
}

std::string list_all_my_buckets_result(const Owner& owner, const std::vector<BucketEntry>& buckets,
                                       std::string_view continuation_token, std::string_view prefix) {
  std::string out = begin("ListAllMyBucketsResult");
  owner_el(out, owner);
  out += "<Buckets>";
  for (const auto& b : buckets) {
    out += "<Bucket>";
    el(out, "Name", b.name);
    el(out, "CreationDate", iso8601(b.creation_unix));
    out += "</Bucket>";
  }
  out += "</Buckets>";
  if (!continuation_token.empty()) el(out, "ContinuationToken", continuation_token);
  if (!prefix.empty()) el(out, "Prefix", prefix);
  end(out, "ListAllMyBucketsResult");
  return out;
}

std::string list_objects_result(std::string_view bucket, const ListQuery& q, const ListResult& r, const Owner& owner) {
  // With encoding-type=url S3 encodes Key, Delimiter and the CommonPrefixes,
  // plus Marker and NextMarker (V1) or Prefix and StartAfter (V2);
  // tokens are ours and need no encoding.
  const bool enc = q.url_encoding;
  std::string out = begin("ListBucketResult");
  el(out, "Name", bucket);
  // V1's Prefix goes back as sent: botocore decodes V2's Prefix but not
  // V1's, and RGW sends it unencoded (s3-tests' prefix_unreadable case).
  el(out, "Prefix", q.v2 ? maybe_encoded(q.prefix, enc) : q.prefix);
  if (q.v2) {
    el(out, "KeyCount", r.key_count);
  } else {
    el(out, "Marker", maybe_encoded(q.marker, enc));
    if (r.is_truncated && !q.delimiter.empty()) el(out, "NextMarker", maybe_encoded(r.next_marker, enc));
  }
  el(out, "MaxKeys", q.max_keys);
  if (!q.delimiter.empty()) el(out, "Delimiter", maybe_encoded(q.delimiter, enc));
  el_bool(out, "IsTruncated", r.is_truncated);
  if (q.v2) {
    if (q.continuation_token_sent) el(out, "ContinuationToken", q.continuation_token);
    if (r.is_truncated) el(out, "NextContinuationToken", r.next_continuation_token);
    if (!q.start_after.empty()) el(out, "StartAfter", maybe_encoded(q.start_after, enc));
  }
  if (enc) el(out, "EncodingType", "url");
  const Owner* listed_owner = (!q.v2 || q.fetch_owner) ? &owner : nullptr;
  for (const auto& o : r.contents) contents_el(out, o, enc, listed_owner);
  common_prefixes_el(out, r.common_prefixes, enc);
  end(out, "ListBucketResult");
  return out;
}

std::string list_versions_result(std::string_view bucket, const ListQuery& q, const ListResult& r, const Owner& owner) {
  // encoding-type=url covers KeyMarker, NextKeyMarker, Prefix, Delimiter,
  // Key and the CommonPrefixes (what botocore decodes for this call).
  const bool enc = q.url_encoding;
  std::string out = begin("ListVersionsResult");
  el(out, "Name", bucket);
  el(out, "Prefix", maybe_encoded(q.prefix, enc));
  el(out, "KeyMarker", maybe_encoded(q.marker, enc));
  el(out, "VersionIdMarker", q.marker.empty() ? "" : "null");
  if (r.is_truncated) {
    el(out, "NextKeyMarker", maybe_encoded(r.next_marker, enc));
    el(out, "NextVersionIdMarker", "null");
  }
  el(out, "MaxKeys", q.max_keys);
  if (!q.delimiter.empty()) el(out, "Delimiter", maybe_encoded(q.delimiter, enc));
  el_bool(out, "IsTruncated", r.is_truncated);
  if (enc) el(out, "EncodingType", "url");
  for (const auto& o : r.contents) {
    out += "<Version>";
    el(out, "Key", maybe_encoded(o.key, enc));
    el(out, "VersionId", "null");
    el_bool(out, "IsLatest", true);
    el(out, "LastModified", iso8601(o.mtime_unix));
    el(out, "ETag", quoted(o.etag));
    el(out, "Size", o.size);
    owner_el(out, owner);
    el(out, "StorageClass", "STANDARD");
    out += "</Version>";
  }
  common_prefixes_el(out, r.common_prefixes, enc);
  end(out, "ListVersionsResult");
  return out;
}

std::string get_object_attributes_result(const ObjectAttributes& a, const std::vector<std::string>& asked) {
  auto wants = [&](std::string_view name) { return std::find(asked.begin(), asked.end(), name) != asked.end(); };
  std::string out = begin("GetObjectAttributesResponse");
  if (wants("ETag")) el(out, "ETag", a.etag);
  if (wants("Checksum") && !a.checksums.empty()) {
    out += "<Checksum>";
    for (const auto& [name, value] : a.checksums) el(out, name, value);
    out += "</Checksum>";
  }
  if (wants("ObjectParts") && a.parts_count > 0) {
    out += "<ObjectParts>";
    el(out, "PartsCount", a.parts_count);  // botocore: TotalPartsCount
    out += "</ObjectParts>";
  }
  if (wants("StorageClass")) el(out, "StorageClass", "STANDARD");
  if (wants("ObjectSize")) el(out, "ObjectSize", a.size);
  end(out, "GetObjectAttributesResponse");
  return out;
}

std::string location_constraint(std::string_view region) {
  std::string out(prolog);
  out += "<LocationConstraint xmlns=\"";
  out += s3_xmlns;
  out += "\">";
  if (region != "us-east-1") out += xml_escape(region);
  out += "</LocationConstraint>";
  return out;
}

std::string copy_object_result(std::string_view etag, int64_t mtime_unix) {
  return copy_result("CopyObjectResult", etag, mtime_unix);
}

std::string copy_part_result(std::string_view etag, int64_t mtime_unix) {
  return copy_result("CopyPartResult", etag, mtime_unix);
}

std::string initiate_multipart_upload_result(std::string_view bucket, std::string_view key,
                                             std::string_view upload_id) {
  std::string out = begin("InitiateMultipartUploadResult");
  el(out, "Bucket", bucket);
  el(out, "Key", key);
  el(out, "UploadId", upload_id);
  end(out, "InitiateMultipartUploadResult");
  return out;
}

std::string complete_multipart_upload_result(std::string_view location, std::string_view bucket, std::string_view key,
                                             std::string_view etag) {
  std::string out = begin("CompleteMultipartUploadResult");
  el(out, "Location", location);
  el(out, "Bucket", bucket);
  el(out, "Key", key);
  el(out, "ETag", quoted(etag));
  end(out, "CompleteMultipartUploadResult");
  return out;
}

std::string list_parts_result(const PartsListing& l) {
  std::string out = begin("ListPartsResult");
  el(out, "Bucket", l.bucket);
  el(out, "Key", l.key);
  el(out, "UploadId", l.upload_id);
  el(out, "PartNumberMarker", l.part_number_marker);
  if (l.next_part_number_marker) el(out, "NextPartNumberMarker", *l.next_part_number_marker);
  el(out, "MaxParts", l.max_parts);
  el_bool(out, "IsTruncated", l.is_truncated);
  el(out, "StorageClass", "STANDARD");
  for (const auto& p : l.parts) {
    out += "<Part>";
    el(out, "PartNumber", p.part_number);
    el(out, "LastModified", iso8601(p.mtime_unix));
    el(out, "ETag", quoted(p.etag));
    el(out, "Size", p.size);
    out += "</Part>";
  }
  end(out, "ListPartsResult");
  return out;
}

std::string list_multipart_uploads_result(const UploadsListing& l) {
  const bool enc = l.url_encoding;
  std::string out = begin("ListMultipartUploadsResult");
  el(out, "Bucket", l.bucket);
  el(out, "KeyMarker", maybe_encoded(l.key_marker, enc));
  el(out, "UploadIdMarker", l.upload_id_marker);
  if (l.is_truncated) {
    el(out, "NextKeyMarker", maybe_encoded(l.next_key_marker, enc));
    el(out, "NextUploadIdMarker", l.next_upload_id_marker);
  }
  el(out, "Prefix", maybe_encoded(l.prefix, enc));
  if (!l.delimiter.empty()) el(out, "Delimiter", maybe_encoded(l.delimiter, enc));
  el(out, "MaxUploads", l.max_uploads);
  el_bool(out, "IsTruncated", l.is_truncated);
  if (enc) el(out, "EncodingType", "url");
  for (const auto& u : l.uploads) {
    out += "<Upload>";
    el(out, "Key", maybe_encoded(u.key, enc));
    el(out, "UploadId", u.upload_id);
    el(out, "StorageClass", "STANDARD");
    el(out, "Initiated", iso8601(u.initiated_unix));
    out += "</Upload>";
  }
  common_prefixes_el(out, l.common_prefixes, enc);
  end(out, "ListMultipartUploadsResult");
  return out;
}

std::string delete_result(const std::vector<DeleteOutcome>& outcomes, bool quiet) {
  std::string out = begin("DeleteResult");
  for (const auto& o : outcomes) {
    if (o.code.empty()) {
      if (quiet) continue;
      out += "<Deleted>";
      el(out, "Key", o.key);
      out += "</Deleted>";
    } else {
      out += "<Error>";
      el(out, "Key", o.key);
      el(out, "Code", o.code);
      el(out, "Message", o.message);
      out += "</Error>";
    }
  }
  end(out, "DeleteResult");
  return out;
}

}  // namespace haul::s3
