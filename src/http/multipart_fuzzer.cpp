// libFuzzer target for the multipart parser.
// Byte 0: the low 7 bits pick a chunking (0 = whole, else chunk sizes from a
// small generator seeded by them); the high bit picks the mode.
// - raw (bit clear): the rest is a body with the fixed boundary "b0undary";
//   its first line is also tried as a Content-Type value. Checks: no
//   crash/over-read, events well ordered, data never empty, same events and
//   errors whatever the chunking (compared with a one-shot parse).
// - round trip (bit set): the rest, split at 0xFE bytes, is up to 8 part
//   payloads; they are framed with the boundary and must come back exactly,
//   unless a payload itself holds a real delimiter (checked by a small
//   reference of the rules in multipart.hpp), in which case it is skipped.
//   This catches bytes lost or added the same way under every chunking.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/multipart.hpp"

namespace {

struct Recorder : haul::http::MultipartParser::Handler {
  std::string log;
  bool in_part = false;
  void on_part_begin(const haul::http::PartInfo& p) override {
    if (in_part || p.name.empty()) __builtin_trap();
    in_part = true;
    log += "B" + p.name + "|" + (p.filename ? *p.filename : "-") + "|" + p.content_type + "\n";
  }
  void on_part_data(std::span<const uint8_t> b) override {
    if (!in_part || b.empty()) __builtin_trap();
    log.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void on_part_end() override {
    if (!in_part) __builtin_trap();
    in_part = false;
    log += "E\n";
  }
};

// Returns the error text ("" on success) and fills rec.
std::string run(std::string_view body, uint8_t mode, Recorder& rec) {
  try {
    haul::http::MultipartParser p("b0undary", rec, 1024, 8);
    uint32_t state = mode;
    size_t pos = 0;
    while (pos < body.size()) {
      size_t n = body.size() - pos;
      if (mode != 0) {
        state = state * 1103515245u + 12345u;
        n = std::min<size_t>(n, 1 + (state >> 16) % 13);
      }
      // Copy so an over-read of the chunk is caught by ASan.
      std::string chunk(body.substr(pos, n));
      p.feed(chunk);
      pos += n;
    }
    p.finish();
    if (!p.done()) __builtin_trap();
  } catch (const haul::Error& e) {
    if (e.kind() != haul::ErrorKind::bad_request) __builtin_trap();
    return e.what();
  }
  return "";
}

const std::string_view delimiter = "\r\n--b0undary";

// Reference of the delimiter rules (multipart.hpp) on a whole string: true
// when an occurrence of CRLF--b0undary starting before `limit` is followed by
// "--", or by padding (at most 64 spaces/tabs) then CRLF, or by padding then a
// bare LF (an error). Such a payload would end its part early.
bool real_delimiter_before(std::string_view s, size_t limit) {
  for (size_t j = s.find(delimiter); j < limit; j = s.find(delimiter, j + 1)) {
    std::string_view tail = s.substr(j + delimiter.size());
    if (tail.starts_with("--")) return true;
    size_t pad = 0;
    while (pad < tail.size() && (tail[pad] == ' ' || tail[pad] == '\t')) ++pad;
    if (pad > 64) continue;
    std::string_view rest = tail.substr(pad);
    if (rest.starts_with("\r\n") || rest.starts_with("\n")) return true;
  }
  return false;
}

void round_trip(std::string_view payloads, uint8_t mode) {
  std::string body, want;
  for (size_t part = 0;; ++part) {
    size_t sep = payloads.find('\xfe');
    std::string_view payload = payloads.substr(0, sep);
    bool last = sep == std::string_view::npos || part == 7;
    // The parser sees a part's data as if after CRLF (an empty part may omit
    // it), followed by the next delimiter and its tail.
    std::string seen = "\r\n" + std::string(payload) + std::string(delimiter) + (last ? "--\r\n" : "\r\n");
    if (real_delimiter_before(seen, 2 + payload.size())) return;  // ambiguous input: skip
    std::string name = "p" + std::to_string(part);
    body += "--b0undary\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n";
    body += payload;
    body += "\r\n";
    want += "B" + name + "|-|text/plain\n" + std::string(payload) + "E\n";
    if (last) break;
    payloads.remove_prefix(sep + 1);
  }
  body += "--b0undary--\r\n";
  Recorder rec;
  std::string error = run(body, mode, rec);
  if (!error.empty() || rec.log != want) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0] & 0x7f;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 0x80) {
    round_trip(body, mode);
    return 0;
  }

  std::string_view first_line = body.substr(0, std::min(body.find('\n'), size_t{256}));
  if (auto b = haul::http::multipart_boundary(first_line)) {
    if (!haul::http::valid_boundary(*b)) __builtin_trap();
  }

  Recorder whole, chunked;
  std::string e1 = run(body, 0, whole);
  std::string e2 = run(body, mode, chunked);
  if (e1 != e2) __builtin_trap();
  if (e1.empty() && whole.log != chunked.log) __builtin_trap();
  return 0;
}
