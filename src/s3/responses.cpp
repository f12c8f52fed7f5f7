#include "s3/responses.hpp"

#include <charconv>
#include <ctime>

#include "s3/xml.hpp"

namespace haul::s3 {
namespace {

[[noreturn]] void missing(std::string_view what) {
  throw Error(ErrorKind::backend_unavailable, "S3 response without " + std::string(what));
}

template <typename T>
T number(const std::string& text, std::string_view what) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorKind::backend_unavailable, "S3 response with a bad " + std::string(what) + ": '" + text + "'");
  }
  return v;
}

// Parses body; if its root is <Error>, throws S3ErrorResponse; if the root is
// not expected_root, throws backend_unavailable.
void parse_expecting(std::string_view body, std::string_view expected_root, const XmlElementFn& fn) {
  ErrorResponse err;
  std::string root = parse_xml(body, [&](const std::vector<std::string>& path, const std::string& text) {
    if (!path.empty() && xml_local_name(path[0]) == "Error") {
      if (xml_path_is(path, {"Error", "Code"}))
        err.code = text;
      else if (xml_path_is(path, {"Error", "Message"}))
        err.message = text;
      else if (xml_path_is(path, {"Error", "Resource"}))
        err.resource = text;
      else if (xml_path_is(path, {"Error", "RequestId"}))
        err.request_id = text;
      return;
    }
    fn(path, text);
  });
  if (xml_local_name(root) == "Error") throw S3ErrorResponse(std::move(err));
  if (xml_local_name(root) != expected_root) {
    throw Error(ErrorKind::backend_unavailable,
                "S3 response <" + root + "> where <" + std::string(expected_root) + "> was expected");
  }
}

}  // namespace

std::optional<ErrorResponse> parse_error(std::string_view body) {
  try {
    parse_expecting(body, "Error", [](const auto&, const auto&) {});
  } catch (const S3ErrorResponse& e) {
    return e.response;
  } catch (const Error&) {
  }
  return std::nullopt;
}

InitiateMultipartUploadResult parse_initiate_multipart_upload(std::string_view body) {
  InitiateMultipartUploadResult r;
  parse_expecting(body, "InitiateMultipartUploadResult", [&](const auto& path, const auto& text) {
    if (xml_path_is(path, {"InitiateMultipartUploadResult", "Bucket"}))
      r.bucket = text;
    else if (xml_path_is(path, {"InitiateMultipartUploadResult", "Key"}))
      r.key = text;
    else if (xml_path_is(path, {"InitiateMultipartUploadResult", "UploadId"}))
      r.upload_id = text;
  });
  if (r.upload_id.empty()) missing("UploadId");
  return r;
}

ListPartsResult parse_list_parts(std::string_view body) {
  ListPartsResult r;
  PartEntry part;
  bool has_number = false;
  parse_expecting(body, "ListPartsResult", [&](const auto& path, const auto& text) {
    if (xml_path_is(path, {"ListPartsResult", "UploadId"}))
      r.upload_id = text;
    else if (xml_path_is(path, {"ListPartsResult", "IsTruncated"}))
      r.is_truncated = text == "true";
    else if (xml_path_is(path, {"ListPartsResult", "NextPartNumberMarker"}) && !text.empty())
      r.next_part_number_marker = number<uint32_t>(text, "NextPartNumberMarker");
    else if (xml_path_is(path, {"ListPartsResult", "Part", "PartNumber"})) {
      part.part_number = number<uint32_t>(text, "PartNumber");
      has_number = true;
    } else if (xml_path_is(path, {"ListPartsResult", "Part", "ETag"}))
      part.etag = text;
    else if (xml_path_is(path, {"ListPartsResult", "Part", "Size"}))
      part.size = number<uint64_t>(text, "Size");
    else if (xml_path_is(path, {"ListPartsResult", "Part"})) {
      if (!has_number || part.etag.empty()) missing("PartNumber or ETag in a Part");
      r.parts.push_back(std::move(part));
      part = PartEntry{};
      has_number = false;
    }
  });
  return r;
}

ListBucketResult parse_list_bucket_v2(std::string_view body) {
  ListBucketResult r;
  ObjectEntry entry;
  bool has_key = false;
  parse_expecting(body, "ListBucketResult", [&](const auto& path, const auto& text) {
    if (xml_path_is(path, {"ListBucketResult", "IsTruncated"}))
      r.is_truncated = text == "true";
    else if (xml_path_is(path, {"ListBucketResult", "NextContinuationToken"}))
      r.next_continuation_token = text;
    else if (xml_path_is(path, {"ListBucketResult", "Contents", "Key"})) {
      entry.key = text;
      has_key = true;
    } else if (xml_path_is(path, {"ListBucketResult", "Contents", "Size"}))
      entry.size = number<uint64_t>(text, "Size");
    else if (xml_path_is(path, {"ListBucketResult", "Contents", "ETag"}))
      entry.etag = text;
    else if (xml_path_is(path, {"ListBucketResult", "Contents", "LastModified"}))
      entry.mtime_unix = parse_iso8601(text).value_or(0);
    else if (xml_path_is(path, {"ListBucketResult", "Contents"})) {
      if (!has_key) missing("Key in Contents");
      r.contents.push_back(std::move(entry));
      entry = ObjectEntry{};
      has_key = false;
    }
  });
  if (r.is_truncated && r.next_continuation_token.empty()) missing("NextContinuationToken of a truncated list");
  return r;
}

ListMultipartUploadsResult parse_list_multipart_uploads(std::string_view body) {
  ListMultipartUploadsResult r;
  UploadEntry u;
  parse_expecting(body, "ListMultipartUploadsResult", [&](const auto& path, const auto& text) {
    if (xml_path_is(path, {"ListMultipartUploadsResult", "IsTruncated"}))
      r.is_truncated = text == "true";
    else if (xml_path_is(path, {"ListMultipartUploadsResult", "Upload", "Key"}))
      u.key = text;
    else if (xml_path_is(path, {"ListMultipartUploadsResult", "Upload", "UploadId"}))
      u.upload_id = text;
    else if (xml_path_is(path, {"ListMultipartUploadsResult", "Upload", "Initiated"}))
      u.initiated_unix = parse_iso8601(text);
    else if (xml_path_is(path, {"ListMultipartUploadsResult", "NextKeyMarker"}))
      r.next_key_marker = text;
    else if (xml_path_is(path, {"ListMultipartUploadsResult", "NextUploadIdMarker"}))
      r.next_upload_id_marker = text;
    else if (xml_path_is(path, {"ListMultipartUploadsResult", "Upload"})) {
      if (u.upload_id.empty()) missing("UploadId in Upload");
      r.uploads.push_back(std::move(u));
      u = UploadEntry{};
    }
  });
  return r;
}

void parse_complete_multipart_upload(std::string_view body) {
  parse_expecting(body, "CompleteMultipartUploadResult", [](const auto&, const auto&) {});
}

std::optional<int64_t> parse_iso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto field = [&](size_t pos, size_t len) -> std::optional<int> {
    int v = 0;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
    if (ec != std::errc() || end != text.data() + pos + len) return std::nullopt;
    return v;
  };
  auto y = field(0, 4), mo = field(5, 2), d = field(8, 2), h = field(11, 2), mi = field(14, 2), s = field(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || text.back() != 'Z') return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *s;
  return static_cast<int64_t>(timegm(&tm));
}

std::string complete_multipart_upload_body(const std::vector<PartEntry>& parts) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& p : parts) {
    out += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><ETag>" + xml_escape(p.etag) +
           "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

}  // namespace haul::s3
