#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/error.hpp"

using namespace haul::http;
using namespace std::string_literals;

namespace {

// Records events; consecutive data calls are joined so that different
// chunkings of one body compare equal. data_calls counts the raw calls.
struct Recorder : MultipartParser::Handler {
  std::vector<std::string> events;
  size_t data_calls = 0;
  size_t data_bytes = 0;
  bool empty_data_call = false;
  bool in_data = false;

  void on_part_begin(const PartInfo& p) override {
    events.push_back("begin name=" + p.name + " filename=" + (p.filename ? "[" + *p.filename + "]" : "-") +
                     " type=" + p.content_type);
    in_data = false;
  }
  void on_part_data(std::span<const uint8_t> bytes) override {
    ++data_calls;
    data_bytes += bytes.size();
    if (bytes.empty()) empty_data_call = true;
    if (!in_data) events.push_back("data:");
    in_data = true;
    events.back().append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void on_part_end() override {
    events.push_back("end");
    in_data = false;
  }
};

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(HAUL_HTTP_TESTDATA) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing test data " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Outcome {
  std::vector<std::string> events;
  std::string error;  // empty when the body parsed and finish() passed
  bool empty_data_call = false;
};

// Feeds `body` cut at `cuts` (sorted offsets), then finish().
Outcome parse_with_cuts(const std::string& boundary, const std::string& body, const std::vector<size_t>& cuts,
                        size_t max_header = 16 * 1024, size_t max_parts = 64) {
  Recorder rec;
  Outcome out;
  try {
    MultipartParser parser(boundary, rec, max_header, max_parts);
    size_t pos = 0;
    for (size_t cut : cuts) {
      // Copy each chunk into its own buffer so over-reads show under ASan.
      std::vector<uint8_t> chunk(body.begin() + pos, body.begin() + cut);
      parser.feed(chunk);
      pos = cut;
    }
    std::vector<uint8_t> rest(body.begin() + pos, body.end());
    parser.feed(rest);
    parser.finish();
    EXPECT_TRUE(parser.done());
  } catch (const haul::Error& e) {
    EXPECT_EQ(e.kind(), haul::ErrorKind::bad_request);
    out.error = e.what();
  }
  out.events = rec.events;
  out.empty_data_call = rec.empty_data_call;
  return out;
}

Outcome parse_whole(const std::string& boundary, const std::string& body) {
  return parse_with_cuts(boundary, body, {});
}

// The body parsed whole, cut once at every offset, byte by byte, and in
// random chunks must give the same events (and the same error, if any).
void expect_chunking_invariant(const std::string& boundary, const std::string& body) {
  Outcome whole = parse_whole(boundary, body);
  EXPECT_FALSE(whole.empty_data_call);
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Outcome o = parse_with_cuts(boundary, body, {cut});
    ASSERT_EQ(o.events, whole.events) << "cut at " << cut;
    ASSERT_EQ(o.error, whole.error) << "cut at " << cut;
    ASSERT_FALSE(o.empty_data_call);
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < body.size(); ++i) every.push_back(i);
  Outcome bytewise = parse_with_cuts(boundary, body, every);
  EXPECT_EQ(bytewise.events, whole.events) << "byte by byte";
  EXPECT_EQ(bytewise.error, whole.error) << "byte by byte";
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    std::vector<size_t> cuts;
    size_t pos = 0;
    while (true) {
      pos += 1 + rng() % 97;
      if (pos >= body.size()) break;
      cuts.push_back(pos);
    }
    Outcome o = parse_with_cuts(boundary, body, cuts);
    ASSERT_EQ(o.events, whole.events) << "random round " << round;
    ASSERT_EQ(o.error, whole.error) << "random round " << round;
  }
}

std::string boundary_of(const std::string& capture) {
  auto b = multipart_boundary(read_file(capture + ".ctype"));
  if (!b) throw std::runtime_error("no boundary in " + capture);
  return *b;
}

std::vector<std::string> seed_events(const std::string& meta, const std::string& file,
                                     const std::string& data_filename = "[]",
                                     const std::string& file_part = "begin name=file filename=[file] type=text/plain") {
  return {"begin name=data filename=" + data_filename + " type=application/json",
          "data:" + meta,
          "end",
          file_part,
          "data:" + file,
          "end"};
}

// ---- real bodies from python-requests and curl (testdata/capture.py) ----

TEST(MultipartReal, RequestsSeed) {
  std::string body = read_file("requests_seed.body");
  Outcome o = parse_whole(boundary_of("requests_seed"), body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, seed_events(R"({"key": "reports/1K.data"})", read_file("small.bin")));
  expect_chunking_invariant(boundary_of("requests_seed"), body);
}

TEST(MultipartReal, RequestsTrickyData) {
  std::string body = read_file("requests_tricky.body");
  Outcome o = parse_whole(boundary_of("requests_tricky"), body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, seed_events(R"({"key": "t"})", read_file("tricky.bin")));
  expect_chunking_invariant(boundary_of("requests_tricky"), body);
}

TEST(MultipartReal, RequestsEmptyFile) {
  std::string body = read_file("requests_empty_file.body");
  Outcome o = parse_whole(boundary_of("requests_empty_file"), body);
  EXPECT_EQ(o.error, "");
  // An empty part gives begin and end with no data call.
  std::vector<std::string> want = {"begin name=data filename=[] type=application/json", R"(data:{"key": "empty"})",
                                   "end", "begin name=file filename=[file] type=text/plain", "end"};
  EXPECT_EQ(o.events, want);
  expect_chunking_invariant(boundary_of("requests_empty_file"), body);
}

TEST(MultipartReal, RequestsNamedFile) {
  std::string body = read_file("requests_named_file.body");
  Outcome o = parse_whole(boundary_of("requests_named_file"), body);
  EXPECT_EQ(o.error, "");
  // urllib3 writes '"' as %22 and '\' as "\\" (a quoted-pair).
  EXPECT_EQ(o.events, seed_events(R"({"key": "reports/1K.data"})", read_file("small.bin"), "[]",
                                  R"(begin name=file filename=[we%22ird\name.bin] type=application/octet-stream)"));
  expect_chunking_invariant(boundary_of("requests_named_file"), body);
}

TEST(MultipartReal, CurlForm) {
  std::string body = read_file("curl_form.body");
  Outcome o = parse_whole(boundary_of("curl_form"), body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, seed_events(R"({"key":"c/1K.data"})", read_file("small.bin"), "-",
                                  "begin name=file filename=[curl_upload.tmp] type=application/octet-stream"));
  expect_chunking_invariant(boundary_of("curl_form"), body);
}

TEST(MultipartReal, CurlFormFilename) {
  std::string body = read_file("curl_form_filename.body");
  Outcome o = parse_whole(boundary_of("curl_form_filename"), body);
  EXPECT_EQ(o.error, "");
  std::vector<std::string> want = {"begin name=data filename=- type=text/plain",
                                   "data:plain text",
                                   "end",
                                   "begin name=file filename=[a %22quoted%22 name.bin] type=application/octet-stream",
                                   "data:" + read_file("small.bin"),
                                   "end"};
  EXPECT_EQ(o.events, want);
  expect_chunking_invariant(boundary_of("curl_form_filename"), body);
}

// ---- crafted bodies: wire rules ----

const std::string cd_a = "Content-Disposition: form-data; name=\"a\"\r\n";

TEST(MultipartRules, PreambleAndEpilogueIgnored) {
  std::string body = "this is a preamble\r\n--b\r\n" + cd_a + "\r\nhello\r\n--b--\r\nepilogue --b\r\n";
  Outcome o = parse_whole("b", body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:hello", "end"}));
  expect_chunking_invariant("b", body);
}

TEST(MultipartRules, PreambleWithFakeBoundaries) {
  std::string body = "--bX\r\n\r\n--b \tZ\r\n--b-\r\n--b\r\n" + cd_a + "\r\nx\r\n--b--";
  Outcome o = parse_whole("b", body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:x", "end"}));
  expect_chunking_invariant("b", body);
}

TEST(MultipartRules, TransportPaddingAndClosingWithoutCrlf) {
  std::string body =
      "--b \t \r\n" + cd_a + "\r\n1\r\n--b\t\r\n" + "Content-Disposition: form-data; name=c\r\n\r\n2\r\n--b--";
  Outcome o = parse_whole("b", body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:1", "end",
                                                "begin name=c filename=- type=text/plain", "data:2", "end"}));
  expect_chunking_invariant("b", body);
}

TEST(MultipartRules, BoundaryLookalikesInsideDataAreData) {
  // CRLF--b followed by neither padding+CRLF nor "--" is data; so are
  // partial delimiters, a CR after the boundary that is not CRLF, and more
  // padding than the 64 bytes allowed.
  std::string data = "x\r\n--bX\r\n--b-y\r\n--\r\n--b\rz\r\n-\r\r\r\n--b" + std::string(65, ' ') + "\r\nend\r";
  std::string body = "--b\r\n" + cd_a + "\r\n" + data + "\r\n--b\r\r\n--b--";
  Outcome o = parse_whole("b", body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events,
            (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:" + data + "\r\n--b\r", "end"}));
  expect_chunking_invariant("b", body);
}

TEST(MultipartRules, DataStartingWithBoundaryText) {
  // The part's data starts right after the blank line with "--bX": data.
  std::string body = "--b\r\n" + cd_a + "\r\n--bX\r\n--b--";
  Outcome o = parse_whole("b", body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:--bX", "end"}));
  expect_chunking_invariant("b", body);
}

TEST(MultipartRules, EmptyPartsWithAndWithoutBlankLine) {
  std::string body = "--b\r\n" + cd_a + "\r\n\r\n--b\r\n" + cd_a + "\r\n--b--";
  Outcome o = parse_whole("b", body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "end",
                                                "begin name=a filename=- type=text/plain", "end"}));
  expect_chunking_invariant("b", body);
}

TEST(MultipartRules, ZeroParts) {
  Outcome o = parse_whole("b", "--b--\r\n");
  EXPECT_EQ(o.error, "");
  EXPECT_TRUE(o.events.empty());
}

TEST(MultipartRules, LongBoundaryWithSpecialChars) {
  std::string b = "'()+_,-./:=? " + std::string(57, 'z');
  ASSERT_EQ(b.size(), 70u);
  std::string body = "--" + b + "\r\n" + cd_a + "\r\nv\r\n--" + b + "--";
  Outcome o = parse_whole(b, body);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:v", "end"}));
  expect_chunking_invariant(b, body);
}

// ---- malformed bodies ----

void expect_error(const std::string& body, const std::string& reason_part, size_t max_header = 16 * 1024,
                  size_t max_parts = 64) {
  Outcome o = parse_with_cuts("b", body, {}, max_header, max_parts);
  EXPECT_NE(o.error.find(reason_part), std::string::npos) << "error: '" << o.error << "' body: " << body;
  // Same error whatever the chunking (cheap: bodies here are small).
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Outcome c = parse_with_cuts("b", body, {cut}, max_header, max_parts);
    ASSERT_EQ(c.error, o.error) << "cut at " << cut;
  }
}

TEST(MultipartMalformed, NoBoundaryAtAll) {
  expect_error("just some text, no boundary", "truncated");
}
TEST(MultipartMalformed, EmptyBody) {
  expect_error("", "truncated");
}
TEST(MultipartMalformed, WrongBoundary) {
  expect_error("--c\r\n" + cd_a + "\r\nx\r\n--c--", "truncated");
}

TEST(MultipartMalformed, MissingClosingBoundary) {
  expect_error("--b\r\n" + cd_a + "\r\nhello", "truncated");
  expect_error("--b\r\n" + cd_a + "\r\nhello\r\n--b", "truncated");
  expect_error("--b\r\n" + cd_a + "\r\nhello\r\n--b-", "truncated");
  expect_error("--b\r\n" + cd_a + "\r\nhello\r\n--b\r\n", "truncated");
  expect_error("--b\r\n" + cd_a, "truncated");
}

TEST(MultipartMalformed, TruncatedPartHasNoEnd) {
  Outcome o = parse_whole("b", "--b\r\n" + cd_a + "\r\nhel");
  EXPECT_EQ(o.events, (std::vector<std::string>{"begin name=a filename=- type=text/plain", "data:hel"}));
}

TEST(MultipartMalformed, LfOnlyLineEndingsRejected) {
  expect_error("--b\nContent-Disposition: form-data; name=a\n\nx\n--b--\n", "bare LF");
  expect_error("--b\r\nContent-Disposition: form-data; name=a\n\nx\r\n--b--", "bare LF");
  expect_error("--b\r\n" + cd_a + "\r\nx\r\n--b\n", "bare LF");
  expect_error("--b\r\n" + cd_a + "\r\nx\r\n--b  \n", "bare LF");
}

TEST(MultipartMalformed, GarbageHeaders) {
  expect_error("--b\r\nthis is not a header\r\n\r\nx\r\n--b--", "no ':'");
  expect_error("--b\r\nContent-Disposition: form-data; name=a\rX\r\n\r\nx\r\n--b--", "bare CR");
  expect_error("--b\r\nBad Name: x\r\n" + cd_a + "\r\nx\r\n--b--", "header name");
  expect_error("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", "malformed Content-Disposition");
}

TEST(MultipartMalformed, MissingDispositionOrName) {
  expect_error("--b\r\n\r\nx\r\n--b--", "without Content-Disposition");
  expect_error("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "without Content-Disposition");
  expect_error("--b\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\nx\r\n--b--", "exactly one name");
  expect_error("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "exactly one name");
}

TEST(MultipartMalformed, HugeHeaders) {
  std::string big = "X-Big: " + std::string(20000, 'a') + "\r\n";
  Outcome o = parse_whole("b", "--b\r\n" + big + cd_a + "\r\nx\r\n--b--");
  EXPECT_NE(o.error.find("larger than 16384"), std::string::npos) << o.error;
  // A block of exactly the limit passes, one more byte fails.
  std::string block = cd_a + "\r\n";
  std::string body = "--b\r\n" + block + "x\r\n--b--";
  EXPECT_EQ(parse_with_cuts("b", body, {}, block.size()).error, "");
  expect_error(body, "larger than", block.size() - 1);
}

TEST(MultipartMalformed, TooManyParts) {
  std::string part = "--b\r\n" + cd_a + "\r\nx\r\n";
  EXPECT_EQ(parse_with_cuts("b", part + part + "--b--", {}, 16 * 1024, 2).error, "");
  expect_error(part + part + part + "--b--", "more than 2 multipart parts", 16 * 1024, 2);
}

TEST(MultipartParser, FailedParserStaysFailed) {
  Recorder rec;
  MultipartParser p("b", rec);
  EXPECT_THROW(p.feed("--b\r\n\r\n"s), haul::Error);
  EXPECT_THROW(p.feed("--b--"s), haul::Error);
  EXPECT_THROW(p.finish(), haul::Error);
  EXPECT_FALSE(p.done());
}

TEST(MultipartParser, HandlerExceptionFailsParser) {
  struct Throwing : Recorder {
    void on_part_data(std::span<const uint8_t>) override { throw std::runtime_error("disk full"); }
  } rec;
  MultipartParser p("b", rec);
  EXPECT_THROW(p.feed("--b\r\n" + cd_a + "\r\nxyz"), std::runtime_error);
  EXPECT_THROW(p.feed("\r\n--b--"s), haul::Error);
}

TEST(MultipartParser, InvalidBoundaryRejected) {
  Recorder rec;
  EXPECT_THROW(MultipartParser("", rec), haul::Error);
  EXPECT_THROW(MultipartParser(std::string(71, 'a'), rec), haul::Error);
  EXPECT_THROW(MultipartParser("a\r\nb", rec), haul::Error);
  EXPECT_THROW(MultipartParser("trailing ", rec), haul::Error);
}

// Streaming: part data is handed on as it arrives, with at most the
// delimiter plus padding held back, and without copying when it can.
TEST(MultipartParser, StreamsWithBoundedLookahead) {
  const std::string boundary = "0123456789abcdef0123456789abcdef";
  const size_t delimiter_len = boundary.size() + 4;
  std::mt19937 rng(42);
  std::string data;
  for (int i = 0; i < 4 * 1024 * 1024; ++i) {
    // Bytes from a small alphabet so CR LF '-' and boundary text are frequent.
    static const char alphabet[] = "\r\n-0123456789abcdef";
    data.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
  }
  ASSERT_EQ(data.find("\r\n--" + boundary), std::string::npos);
  std::string head = "--" + boundary + "\r\n" + cd_a + "\r\n";
  std::string body = head + data + "\r\n--" + boundary + "--\r\n";

  struct Counting : MultipartParser::Handler {
    size_t bytes = 0, calls = 0, in_caller_buffer = 0;
    const uint8_t* buf_begin = nullptr;
    const uint8_t* buf_end = nullptr;
    std::string got;
    void on_part_begin(const PartInfo&) override {}
    void on_part_data(std::span<const uint8_t> b) override {
      bytes += b.size();
      ++calls;
      if (b.data() >= buf_begin && b.data() + b.size() <= buf_end) in_caller_buffer += b.size();
      got.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    void on_part_end() override {}
  } h;
  MultipartParser p(boundary, h);
  size_t fed = 0;
  std::vector<uint8_t> chunk;
  while (fed < body.size()) {
    size_t n = std::min<size_t>(body.size() - fed, 1 + rng() % 70000);
    chunk.assign(body.begin() + fed, body.begin() + fed + n);
    h.buf_begin = chunk.data();
    h.buf_end = chunk.data() + chunk.size();
    p.feed(chunk);
    fed += n;
    size_t data_fed = std::min(fed > head.size() ? fed - head.size() : 0, data.size());
    ASSERT_LE(data_fed - std::min(data_fed, h.bytes), delimiter_len) << "held back too much at " << fed;
  }
  p.finish();
  EXPECT_EQ(h.got, data);
  // Nearly everything is passed as views into the caller's buffer.
  EXPECT_GT(h.in_caller_buffer, data.size() * 99 / 100);
}

// ---- boundary extraction ----

TEST(MultipartBoundary, Extracts) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;BOUNDARY=\"a b:c\""), "a b:c");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=x; other=1"), "x");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=------------------------492ba0baee097392"),
            "------------------------492ba0baee097392");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'q')), std::string(70, 'q'));
  EXPECT_EQ(multipart_boundary(read_file("requests_seed.ctype")).value().size(), 32u);
}

TEST(MultipartBoundary, Rejects) {
  for (const std::string& bad : std::vector<std::string>{
           "", "multipart/form-data", "multipart/form-data;", "multipart/form-data; boundary=",
           "multipart/form-data; boundary=\"\"", "multipart/mixed; boundary=abc", "text/plain; boundary=abc",
           "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + std::string(71, 'q'),
           "multipart/form-data; boundary=\"trailing \"", "multipart/form-data; boundary=\"a\r\nb\"",
           "multipart/form-data; boundary=a; boundary=b", "multipart/form-data; boundary=\"a@b\"",
           "multipart/form-data; boundary=\"open", "multipart/form-data boundary=abc"}) {
    EXPECT_FALSE(multipart_boundary(bad)) << bad;
  }
}

}  // namespace
