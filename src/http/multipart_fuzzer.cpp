// libFuzzer target for the multipart parser.
// Input: byte 0 picks a chunking (0 = whole, else chunk sizes from a small
// generator seeded by it); the rest is a body with the fixed boundary
// "b0undary". The body's first line is also tried as a Content-Type value.
// Checks: no crash/over-read, events well ordered, data never empty, and the
// same events whatever the chunking (compared with a one-shot parse).

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

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
