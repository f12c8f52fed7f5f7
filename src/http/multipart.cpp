#include "http/multipart.hpp"

#include <cstring>

#include "core/error.hpp"
#include "http/header_params.hpp"
#include "http/part_headers.hpp"

namespace haul::http {
namespace {

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" / " " (not last).
bool is_bchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

bool valid_boundary(std::string_view boundary) {
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return false;
  for (char c : boundary) {
    if (!is_bchar(c)) return false;
  }
  return true;
}

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto parsed = parse_param_header(content_type);
  if (!parsed || parsed->value != "multipart/form-data") return std::nullopt;
  if (parsed->count("boundary") != 1) return std::nullopt;
  auto boundary = parsed->param("boundary");
  if (!valid_boundary(*boundary)) return std::nullopt;
  return boundary;
}

MultipartParser::MultipartParser(std::string boundary, Handler& handler, size_t max_part_header_bytes, size_t max_parts)
    : handler_(handler), max_header_bytes_(max_part_header_bytes), max_parts_(max_parts) {
  if (!valid_boundary(boundary)) throw Error(ErrorKind::bad_request, "invalid multipart boundary");
  delimiter_ = "\r\n--" + boundary;
}

void MultipartParser::fail(const std::string& reason) {
  state_ = State::failed;
  throw Error(ErrorKind::bad_request, reason);
}

void MultipartParser::emit(const void* p, size_t n) {
  if (n == 0 || scanning_ != State::body) return;  // preamble bytes are dropped
  handler_.on_part_data(std::span<const uint8_t>(static_cast<const uint8_t*>(p), n));
}

void MultipartParser::feed(std::span<const uint8_t> bytes) {
  if (state_ == State::failed) throw Error(ErrorKind::bad_request, "multipart parser already failed");
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  try {
    size_t i = 0;
    while (i < n) {
      switch (state_) {
        case State::preamble:
        case State::body: i += scan(p + i, n - i); break;
        case State::after_delimiter: i += after_delimiter(p + i, n - i); break;
        case State::headers: i += headers(p + i, n - i); break;
        case State::epilogue: return;  // ignored by RFC 2046
        case State::failed: return;    // unreachable: fail() throws
      }
    }
  } catch (...) {
    state_ = State::failed;
    throw;
  }
}

void MultipartParser::finish() {
  if (state_ == State::epilogue) return;
  if (state_ == State::failed) throw Error(ErrorKind::bad_request, "multipart parser already failed");
  fail("truncated multipart body");
}

// Preamble or part data: looks for the delimiter, hands data on, returns the
// bytes consumed. Stops right after a full delimiter (state after_delimiter).
size_t MultipartParser::scan(const uint8_t* p, size_t n) {
  const size_t dlen = delimiter_.size();
  size_t i = 0;
  // A partial match carried from earlier bytes is resolved byte by byte; its
  // bytes equal delimiter_'s prefix, so on a mismatch they are re-emitted from
  // delimiter_ (they may have arrived in an earlier feed()).
  while (match_ > 0 && i < n) {
    if (p[i] == static_cast<uint8_t>(delimiter_[match_])) {
      ++i;
      if (++match_ == dlen) {
        state_ = State::after_delimiter;
        suffix_.clear();
        return i;
      }
    } else {
      emit(delimiter_.data() + match_start_, match_ - match_start_);
      match_ = 0;  // p[i] is looked at again below: it may be a CR
    }
  }
  if (match_ > 0) return n;
  match_start_ = 0;
  // Fast path: only a CR can start the delimiter (boundaries hold no CR).
  size_t data_begin = i;
  while (i < n) {
    const void* cr = std::memchr(p + i, '\r', n - i);
    if (cr == nullptr) break;
    size_t j = static_cast<size_t>(static_cast<const uint8_t*>(cr) - p);
    size_t k = 0;
    while (k < dlen && j + k < n && p[j + k] == static_cast<uint8_t>(delimiter_[k])) ++k;
    if (k == dlen) {
      emit(p + data_begin, j - data_begin);
      state_ = State::after_delimiter;
      suffix_.clear();
      return j + dlen;
    }
    if (j + k == n) {  // the buffer ends inside a possible delimiter
      emit(p + data_begin, j - data_begin);
      match_ = k;
      return n;
    }
    i = j + 1;
  }
  emit(p + data_begin, n - data_begin);
  return n;
}

// After CRLF "--" boundary: "--" closes, padding CRLF starts the next part,
// anything else means the delimiter was data.
size_t MultipartParser::after_delimiter(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(p[i]);
    if (suffix_ == "-") {
      if (c != '-') return not_a_delimiter(i);
      end_part();
      state_ = State::epilogue;
      return i + 1;
    }
    if (!suffix_.empty() && suffix_.back() == '\r') {
      if (c != '\n') return not_a_delimiter(i);
      end_part();
      state_ = State::headers;
      header_buf_.clear();
      return i + 1;
    }
    // suffix_ is empty or padding.
    if (c == '-' && suffix_.empty()) {
      suffix_ += c;
    } else if (c == ' ' || c == '\t') {
      if (suffix_.size() >= max_padding_) return not_a_delimiter(i);
      suffix_ += c;
    } else if (c == '\r') {
      suffix_ += c;
    } else if (c == '\n') {
      fail("bare LF after multipart boundary (lines must end in CRLF)");
    } else {
      return not_a_delimiter(i);
    }
  }
  return n;
}

// The delimiter and suffix_ were data after all (dropped in the preamble).
// Returns `consumed`: the byte that decided it is scanned again.
size_t MultipartParser::not_a_delimiter(size_t consumed) {
  emit(delimiter_.data() + match_start_, delimiter_.size() - match_start_);
  match_start_ = 0;
  match_ = 0;
  if (!suffix_.empty() && suffix_.back() == '\r') {
    emit(suffix_.data(), suffix_.size() - 1);
    match_ = 1;  // that CR may begin the real delimiter
  } else {
    emit(suffix_.data(), suffix_.size());
  }
  suffix_.clear();
  state_ = scanning_;
  return consumed;
}

size_t MultipartParser::headers(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(p[i]);
    bool after_cr = !header_buf_.empty() && header_buf_.back() == '\r';
    if (c == '\n' && !after_cr) fail("bare LF in part headers (lines must end in CRLF)");
    if (c != '\n' && after_cr) fail("bare CR in part headers");
    if (header_buf_.size() >= max_header_bytes_) {
      fail("part header block larger than " + std::to_string(max_header_bytes_) + " bytes");
    }
    header_buf_ += c;
    if (c == '\n' && (header_buf_.size() == 2 || header_buf_.ends_with("\r\n\r\n"))) {
      begin_part();
      return i + 1;
    }
  }
  return n;
}

void MultipartParser::begin_part() {
  if (parts_ >= max_parts_) fail("more than " + std::to_string(max_parts_) + " multipart parts");
  PartInfo info = parse_part_headers(header_buf_);
  header_buf_.clear();
  ++parts_;
  in_part_ = true;
  state_ = scanning_ = State::body;
  match_ = match_start_ = 2;  // the part's data may be empty with no CRLF
  handler_.on_part_begin(info);
}

void MultipartParser::end_part() {
  if (!in_part_) return;  // the first boundary ends the preamble, not a part
  in_part_ = false;
  handler_.on_part_end();
}

}  // namespace haul::http
