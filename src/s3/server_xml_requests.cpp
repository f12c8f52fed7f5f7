// Parsing of the request bodies S3 clients send (s3/server_xml.hpp).
#include <charconv>

#include "http/ows.hpp"
#include <initializer_list>

#include "core/error.hpp"
#include "s3/api_error.hpp"
#include "s3/responses.hpp"
#include "s3/server_xml.hpp"
#include "s3/sigv4_verify.hpp"
#include "s3/xml.hpp"

namespace haul::s3 {
namespace {

[[noreturn]] void malformed(const std::string& why) {
  throw ApiError(400, "MalformedXML",
                 "The XML you provided was not well-formed or did not validate against our published schema: " + why);
}

// parse_xml reports a malformed document as Error(backend_unavailable), the
// right answer for a backend's reply (s3/responses.cpp) but not for a
// client's request: here it becomes MalformedXML, as does a document whose
// root is not the one expected. ApiErrors thrown by fn pass through.
void parse_request(std::string_view body, std::string_view expected_root, const XmlElementFn& fn) {
  std::string root;
  try {
    root = parse_xml(body, fn);
  } catch (const Error& e) {
    malformed(e.what());
  }
  if (xml_local_name(root) != expected_root)
    malformed("<" + root + "> where <" + std::string(expected_root) + "> belongs");
}

}  // namespace

std::string parse_create_bucket_configuration(std::string_view body) {
  if (http::trim_space(body).empty()) return {};
  std::string location;
  parse_request(body, "CreateBucketConfiguration", [&](const auto& path, const auto& text) {
    if (xml_path_is(path, {"CreateBucketConfiguration", "LocationConstraint"}))
      location = std::string(http::trim_space(text));
  });
  return location;
}

DeleteRequest parse_delete_request(std::string_view body) {
  DeleteRequest r;
  ObjectToDelete object;  // the <Object> being read
  bool has_key = false;
  parse_request(body, "Delete", [&](const auto& path, const std::string& text) {
    auto in_object = [&](std::string_view name) { return xml_path_is(path, {"Delete", "Object", name}); };
    if (xml_path_is(path, {"Delete", "Quiet"})) {
      std::string_view v = http::trim_space(text);
      if (v != "true" && v != "false") malformed("Quiet must be true or false");
      r.quiet = v == "true";
    } else if (in_object("Key")) {
      if (has_key) malformed("an Object with two Keys");
      has_key = true;
      object.key = text;  // exactly as sent: keys may begin or end with spaces
    } else if (in_object("ETag")) {
      object.etag = normalize_etag(text);
    } else if (in_object("LastModifiedTime")) {
      // botocore sends it as an HTTP date (the model's rfc822); ISO 8601 too.
      object.last_modified = parse_rfc1123_date(http::trim_space(text));
      if (!object.last_modified) object.last_modified = parse_iso8601(http::trim_space(text));
      if (!object.last_modified) malformed("LastModifiedTime must be a date");
    } else if (in_object("Size")) {
      const std::string_view v = http::trim_space(text);
      uint64_t size = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), size);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size()) malformed("Size must be a byte count");
      object.size = size;
    } else if (xml_path_is(path, {"Delete", "Object"})) {
      if (!has_key || object.key.empty()) malformed("an Object without a Key");
      // Checked as the document is read, so a huge body stops early.
      if (r.objects.size() == delete_max_objects) malformed("more than 1000 objects");
      r.objects.push_back(std::move(object));
      object = ObjectToDelete{};
      has_key = false;
    }
  });
  if (r.objects.empty()) malformed("no Object to delete");
  return r;
}

namespace {

uint32_t part_number(std::string_view text) {
  text = http::trim_space(text);
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 1 || n > max_part_number) {
    malformed("PartNumber must be an integer from 1 to 10000");
  }
  return n;
}

}  // namespace

std::vector<CompletedPart> parse_complete_multipart_upload_request(std::string_view body) {
  std::vector<CompletedPart> parts;
  std::optional<uint32_t> number;
  std::optional<std::string> etag;
  parse_request(body, "CompleteMultipartUpload", [&](const auto& path, const std::string& text) {
    if (xml_path_is(path, {"CompleteMultipartUpload", "Part", "PartNumber"})) {
      if (number) malformed("a Part with two PartNumbers");
      number = part_number(text);
    } else if (xml_path_is(path, {"CompleteMultipartUpload", "Part", "ETag"})) {
      if (etag) malformed("a Part with two ETags");
      etag = normalize_etag(text);
    } else if (xml_path_is(path, {"CompleteMultipartUpload", "Part"})) {
      // Checksum* elements and anything else inside a Part are ignored.
      if (!number || !etag || etag->empty()) malformed("a Part without PartNumber or ETag");
      if (parts.size() == max_part_number) malformed("more than 10000 parts");
      parts.push_back(CompletedPart{*number, std::move(*etag)});
      number.reset();
      etag.reset();
    }
  });
  if (parts.empty()) malformed("no Part");
  return parts;
}

}  // namespace haul::s3
