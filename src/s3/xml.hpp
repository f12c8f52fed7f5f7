#pragma once
// A small non-validating XML reader for S3 response bodies (sans-IO).
//
// S3 answers are plain element trees: no DTDs, no entities beyond the five
// predefined ones and character references. This reader walks such a
// document once and reports every element with its decoded text, which is
// all the S3 parsers in s3/responses.hpp need. Anything else (a DOCTYPE, a
// mismatched or unclosed tag, a bad entity, nesting deeper than max_depth)
// is rejected with Error(backend_unavailable): a malformed answer is the
// backend failing, never a crash.

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace haul::s3 {

// path: element names from the root down to this element (prefixes kept);
// text: the element's own character data, entities decoded, not trimmed.
using XmlElementFn = std::function<void(const std::vector<std::string>& path, const std::string& text)>;

inline constexpr size_t xml_max_depth = 32;

// Calls on_element at each element's end tag (children before parents).
// Returns the root element's name.
std::string parse_xml(std::string_view document, const XmlElementFn& on_element);

// An element name without its namespace prefix ("s3:Key" -> "Key").
std::string_view xml_local_name(std::string_view name);
// True when path is exactly `names`, comparing local names.
bool xml_path_is(const std::vector<std::string>& path, std::initializer_list<std::string_view> names);

// Escapes text for use inside an element (&, <, >, ", ').
std::string xml_escape(std::string_view text);

}  // namespace haul::s3
