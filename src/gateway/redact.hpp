#pragma once
// Secrets out of log text (sans-IO). The gateway logs request targets and
// methods as clients sent them; a client may put a bearer token there (a
// "?token=" habit, a confused script), and a log must never hold one.

#include <span>
#include <string>
#include <string_view>

namespace haul::gateway {

// `text` with every occurrence of each non-empty secret replaced by
// "[redacted]": found raw or percent-encoded (%XX, either case, up to four
// levels of encoding, so "%2574" for "t" too), anywhere in the text. In the
// query part, the values of credential-like parameters (token,
// access_token, auth, authorization, password, secret, signature, sig,
// x-amz-signature, x-amz-credential, x-amz-security-token; names compared
// case-insensitively after percent-decoding) are replaced too, whatever
// they hold.
std::string redact(std::string_view text, std::span<const std::string> secrets);

// redact(), then cut to at most max_bytes with "..." appended when cut (a
// cut may split a UTF-8 sequence; JSON output replaces the broken bytes).
std::string redact_and_cut(std::string_view text, std::span<const std::string> secrets, size_t max_bytes);

}  // namespace haul::gateway
