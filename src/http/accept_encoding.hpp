#pragma once
// Accept-Encoding (RFC 9110 12.5.3), sans-IO: whether a client takes a gzip
// response body. The gateway compresses only what compresses well (JSON
// listings: keys under one prefix repeat it); object bodies are ciphertext
// or the user's own bytes and go as they are.

#include <string_view>

namespace haul::http {

// True when the field value accepts "gzip" (or "x-gzip", or "*" when gzip is
// not named) with a weight above zero. An element whose weight does not
// parse accepts nothing; an empty or absent field accepts nothing either
// (identity is always fine, so saying no is never wrong).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace haul::http
