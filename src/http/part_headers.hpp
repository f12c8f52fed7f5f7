#pragma once
// The header block of one multipart/form-data part -> PartInfo (RFC 7578
// section 4), sans-IO. Used by MultipartParser; separate so the rules are
// tested on their own.

#include <string_view>

#include "http/multipart.hpp"

namespace haul::http {

// block: the part's header lines, each ending in CRLF, including the final
// empty line ("Content-Disposition: form-data; name=\"a\"\r\n\r\n"), as
// MultipartParser collected it (CRLF already checked). Throws
// Error(bad_request, reason) on: a line without ':' or with an empty or
// non-token name, CTL bytes, a continuation line with nothing before it,
// missing or repeated Content-Disposition, a disposition type other than
// form-data, a missing/empty/repeated name, a repeated filename, a repeated
// Content-Type.
PartInfo parse_part_headers(std::string_view block);

}  // namespace haul::http
