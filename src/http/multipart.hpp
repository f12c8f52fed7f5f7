#pragma once
// Streaming multipart/form-data parser (RFC 7578 on RFC 2046), sans-IO.
//
// Why streaming: the seed's client uploads files of any size as one
// multipart body; the gateway encrypts the `file` part while it arrives, so
// the parser must never hold a part. It holds no body bytes at all: a partly
// matched delimiter is a count into the delimiter string, and part data is
// handed to the handler as views into the caller's buffer (or into the
// delimiter string, when bytes that looked like a delimiter turn out to be
// data). Memory is bounded by max_part_header_bytes whatever the body size.
//
// Wire rules (decided here, tested in multipart_test.cpp):
// - The preamble (bytes before the first "--boundary") is ignored; the first
//   boundary may start the body or follow CRLF.
// - A delimiter is CRLF "--" boundary, followed by optional spaces/tabs
//   (at most 64, RFC 2046 transport-padding) and CRLF, or by "--" (closing).
//   CRLF "--" boundary followed by anything else is part data, as in Go's
//   mime/multipart (RFC 2046 forbids it, but data is safer than guessing).
// - Line endings must be CRLF: a bare LF ending a boundary line or a part
//   header line, or a bare CR in the headers, is rejected (bad_request).
//   python-requests, curl and browsers all send CRLF.
// - A part body may be empty with or without the blank line before the next
//   delimiter ("headers CRLF CRLF --boundary" is an empty part, RFC 2046's
//   `body-part := MIME-part-headers [CRLF *OCTET]`).
// - Part headers: "Name: value" lines, obs-fold continuation lines are joined
//   with one space. Exactly one Content-Disposition of type form-data with a
//   non-empty `name` and at most one `filename` is required; Content-Type
//   defaults to "text/plain" (RFC 7578 section 4.4). Others are ignored.
// - Zero parts ("--boundary--") is accepted; the caller checks what it needs.
// - After the closing delimiter everything (the epilogue) is ignored.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace haul::http {

// The boundary from a Content-Type value "multipart/form-data; boundary=..."
// (quoted or not, parameter name case-insensitive). nullopt when the type is
// not multipart/form-data, the header is malformed, the boundary is missing,
// given twice, or invalid (RFC 2046 bchars, 1 to 70 chars, no trailing space).
std::optional<std::string> multipart_boundary(std::string_view content_type);

// True when `boundary` satisfies RFC 2046 (see multipart_boundary).
bool valid_boundary(std::string_view boundary);

struct PartInfo {
  std::string name;                     // Content-Disposition name (non-empty)
  std::optional<std::string> filename;  // present even when empty (filename="")
  std::string content_type;             // as sent, or "text/plain"
};

class MultipartParser {
 public:
  struct Handler {  // all called synchronously from feed()
    virtual ~Handler() = default;
    virtual void on_part_begin(const PartInfo& part) = 0;
    // Never empty. The span is valid only during the call (it may point into
    // the caller's buffer passed to feed()). May be called many times a part.
    virtual void on_part_data(std::span<const uint8_t> bytes) = 0;
    virtual void on_part_end() = 0;
  };

  // Throws Error(bad_request) when !valid_boundary(boundary). The handler must
  // outlive the parser.
  MultipartParser(std::string boundary, Handler& handler, size_t max_part_header_bytes = 16 * 1024,
                  size_t max_parts = 64);

  // Consumes all of `bytes`. Throws Error(bad_request, reason) on malformed
  // input. After any exception (also one thrown by the handler) the parser is
  // failed: later feed()/finish() calls throw again.
  void feed(std::span<const uint8_t> bytes);
  void feed(std::string_view bytes) {
    feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }
  // Call at end of body: throws Error(bad_request, "truncated multipart body")
  // unless the closing delimiter was seen. No on_part_end for a cut part.
  void finish();
  // True once the closing delimiter was seen.
  bool done() const { return state_ == State::epilogue; }
  // Parts begun so far.
  size_t parts() const { return parts_; }

 private:
  enum class State { preamble, after_delimiter, headers, body, epilogue, failed };

  size_t scan(const uint8_t* p, size_t n);
  size_t after_delimiter(const uint8_t* p, size_t n);
  size_t headers(const uint8_t* p, size_t n);
  size_t not_a_delimiter(size_t consumed);
  void begin_part();
  void end_part();
  void emit(const void* p, size_t n);
  [[noreturn]] void fail(const std::string& reason);

  static constexpr size_t max_padding_ = 64;

  std::string delimiter_;  // CRLF "--" boundary; contains no CR after index 0
  Handler& handler_;
  size_t max_header_bytes_;
  size_t max_parts_;
  State state_ = State::preamble;
  State scanning_ = State::preamble;  // preamble or body: where data goes
  // delimiter_[match_start_, match_) are consumed bytes that may begin a
  // delimiter. match_start_ == 2 while the CRLF is implied (start of the body
  // or of a part's data), so a body can begin with "--boundary".
  size_t match_ = 2;
  size_t match_start_ = 2;
  std::string suffix_;      // bytes after a full delimiter: "-", or padding [+ CR]
  std::string header_buf_;  // current part's header block
  size_t parts_ = 0;
  bool in_part_ = false;
};

}  // namespace haul::http
