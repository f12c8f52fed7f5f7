// aws-chunked decoding against AWS's published examples ("Transferring
// Payload in Multiple Chunks": 66560 bytes of 'a' in 64 KiB + 1 KiB chunks,
// seed 4f232c43...; "Including Trailing Headers": the same with a CRC-32C
// trailer, seed 106e2a8a...), fed whole, in many splits and a byte at a time;
// then small bodies split at every byte, and every way a body can be wrong.
#include <gtest/gtest.h>

#include <functional>

#include "crypto/sha256.hpp"
#include "s3/api_error.hpp"
#include "s3/aws_chunked.hpp"

namespace haul::s3 {
namespace {

using Bytes = std::vector<uint8_t>;
using Mode = AwsChunkedOptions::Mode;

Bytes bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

ChunkSigningContext example_signing(std::string seed) {
  return {signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
          "20130524/us-east-1/s3/aws4_request", "20130524T000000Z", std::move(seed)};
}

const std::string kSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const std::string kTrailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

Bytes example_body(const std::array<std::string, 3>& sigs, std::string_view after_last) {
  std::string body = "10000;chunk-signature=" + sigs[0] + "\r\n" + std::string(65536, 'a') + "\r\n" +
                     "400;chunk-signature=" + sigs[1] + "\r\n" + std::string(1024, 'a') + "\r\n" +
                     "0;chunk-signature=" + sigs[2] + "\r\n" + std::string(after_last);
  return bytes(body);
}

Bytes signed_example() {
  return example_body({"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                       "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                       "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"},
                      "\r\n");
}

Bytes trailer_example(std::string_view separator = "") {
  return example_body({"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                       "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                       "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"},
                      std::string(separator) +
                          "x-amz-checksum-crc32c:sOO8/Q==\r\n"
                          "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
                          "\r\n");
}

AwsChunkedOptions signed_options() {
  return {Mode::signed_chunks, example_signing(kSeed), 66560, ""};
}
AwsChunkedOptions trailer_options() {
  return {Mode::signed_chunks_trailer, example_signing(kTrailerSeed), 66560, "x-amz-checksum-crc32c"};
}

// Decodes `body` fed in pieces of `piece` bytes (0: whole), then finish().
Bytes decode(const AwsChunkedOptions& options, const Bytes& body, size_t piece = 0) {
  AwsChunkedDecoder d(options);
  Bytes out;
  std::span<const uint8_t> rest(body);
  while (!rest.empty()) {
    size_t n = piece == 0 ? rest.size() : std::min(piece, rest.size());
    d.feed_all(rest.first(n), out);
    rest = rest.subspan(n);
  }
  d.finish();
  EXPECT_EQ(d.decoded_size(), out.size());
  return out;
}

// The code of the ApiError decoding throws ("" when none).
std::string error_code(const AwsChunkedOptions& options, const Bytes& body, size_t piece = 0) {
  try {
    decode(options, body, piece);
  } catch (const ApiError& e) {
    return e.code();
  }
  return "";
}

TEST(AwsChunked, AwsSignedExample) {
  Bytes body = signed_example();
  ASSERT_EQ(body.size(), 66824u);  // the example's Content-Length
  const Bytes want(66560, 'a');
  for (size_t piece : {0, 1, 2, 7, 100, 4096, 65536, 65600}) {
    EXPECT_EQ(decode(signed_options(), body, piece), want) << "piece " << piece;
  }
}

TEST(AwsChunked, AwsSignedExampleSplitInTwoAnywhere) {
  Bytes body = signed_example();
  const Bytes want(66560, 'a');
  // Every split point around the framing, a stride through the data.
  for (size_t split = 0; split <= body.size(); split += (split < 120 || split > body.size() - 1300) ? 1 : 997) {
    AwsChunkedDecoder d(signed_options());
    Bytes out;
    d.feed_all(std::span(body).first(split), out);
    d.feed_all(std::span(body).subspan(split), out);
    d.finish();
    ASSERT_EQ(out, want) << "split " << split;
  }
}

TEST(AwsChunked, AwsTrailerExample) {
  const Bytes want(66560, 'a');
  for (size_t piece : {0, 1, 13, 65536}) {
    AwsChunkedDecoder d(trailer_options());
    Bytes out;
    Bytes body = trailer_example();
    for (size_t at = 0; at < body.size(); at += piece == 0 ? body.size() : piece) {
      d.feed_all(std::span(body).subspan(at, std::min(piece == 0 ? body.size() : piece, body.size() - at)), out);
    }
    d.finish();
    EXPECT_EQ(out, want);
    ASSERT_EQ(d.trailers().size(), 1u);
    EXPECT_EQ(d.trailers()[0], (std::pair<std::string, std::string>{"x-amz-checksum-crc32c", "sOO8/Q=="}));
  }
  // AWS's page shows an empty line between the last chunk and the trailers.
  EXPECT_EQ(decode(trailer_options(), trailer_example("\r\n")), want);
  // Same trailer, other checksum names, no checksum requested: the signature still counts.
  AwsChunkedOptions o = trailer_options();
  o.trailer = "";
  EXPECT_EQ(decode(o, trailer_example()), want);
}

TEST(AwsChunked, AwsExamplesTampered) {
  Bytes body = signed_example();
  body[100] = 'b';  // a data byte of chunk 1
  EXPECT_EQ(error_code(signed_options(), body), "SignatureDoesNotMatch");
  body = signed_example();
  body[66000] = 'b';  // chunk 2
  EXPECT_EQ(error_code(signed_options(), body), "SignatureDoesNotMatch");
  AwsChunkedOptions o = signed_options();
  o.signing.seed_signature = kTrailerSeed;  // the chain starts elsewhere
  EXPECT_EQ(error_code(o, signed_example()), "SignatureDoesNotMatch");
  o = signed_options();
  o.signing.amz_date = "20130524T000001Z";
  EXPECT_EQ(error_code(o, signed_example()), "SignatureDoesNotMatch");
  // The trailer's value and signature are both covered.
  Bytes t = trailer_example();
  std::string text(t.begin(), t.end());
  text.replace(text.find("sOO8/Q=="), 8, "sOO8/Q==");
  text.replace(text.find("d81f82fc"), 8, "d81f82fd");
  EXPECT_EQ(error_code(trailer_options(), bytes(text)), "SignatureDoesNotMatch");
  // A checksum that does not match the payload, from an unsigned body.
  AwsChunkedOptions u{Mode::unsigned_trailer, {}, std::nullopt, "x-amz-checksum-crc32c"};
  EXPECT_EQ(error_code(u, bytes("1\r\na\r\n0\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n\r\n")), "BadDigest");
}

// A signed body over `chunks`, signed here with the same formula AWS's
// examples pin down above.
Bytes sign_chunks(const std::vector<std::string>& chunks, const ChunkSigningContext& s) {
  std::string body, prev = s.seed_signature;
  for (const std::string& c : chunks) {
    std::string sig =
        sign_with_key(s.signing_key, "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amz_date + "\n" + s.scope + "\n" + prev + "\n" +
                                         crypto::sha256_hex("") + "\n" + crypto::sha256_hex(c));
    char size[32];
    std::snprintf(size, sizeof size, "%zx", c.size());
    body += std::string(size) + ";chunk-signature=" + sig + "\r\n" + c + "\r\n";
    prev = sig;
  }
  return bytes(body);
}

TEST(AwsChunked, SmallSignedBodySplitAtEveryByteAndCutAtEveryByte) {
  ChunkSigningContext s = example_signing(kSeed);
  Bytes body = sign_chunks({"hello ", "chunked ", "world", ""}, s);
  AwsChunkedOptions o{Mode::signed_chunks, s, 19, ""};
  for (size_t split = 0; split <= body.size(); ++split) {
    AwsChunkedDecoder d(o);
    Bytes out;
    d.feed_all(std::span(body).first(split), out);
    EXPECT_EQ(d.done(), split == body.size());
    d.feed_all(std::span(body).subspan(split), out);
    d.finish();
    ASSERT_EQ(out, bytes("hello chunked world")) << split;
  }
  for (size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_EQ(error_code(o, Bytes(body.begin(), body.begin() + static_cast<ptrdiff_t>(cut))), "IncompleteBody") << cut;
  }
  // A final chunk taken from another body does not chain onto this one.
  constexpr ptrdiff_t kFinalChunk = 86;  // "0;chunk-signature=" + 64 + "\r\n\r\n"
  Bytes a = sign_chunks({"hello ", "y", ""}, s);
  Bytes b = sign_chunks({"hello ", "x", ""}, s);
  Bytes spliced(b.begin(), b.end() - kFinalChunk);
  spliced.insert(spliced.end(), a.end() - kFinalChunk, a.end());
  o.decoded_length = 7;
  ASSERT_EQ(error_code(o, b), "");
  EXPECT_EQ(error_code(o, spliced), "SignatureDoesNotMatch");
  // Chunks swapped: the first no longer chains from the seed.
  Bytes c = sign_chunks({"hello ", "x", ""}, s);
  std::string t(c.begin(), c.end());
  size_t second = t.find("1;chunk");
  std::string first_chunk = t.substr(0, second), second_chunk = t.substr(second, t.size() - kFinalChunk - second);
  t = second_chunk + first_chunk + t.substr(t.size() - kFinalChunk);
  EXPECT_EQ(error_code(o, bytes(t)), "SignatureDoesNotMatch");
}

TEST(AwsChunked, UnsignedTrailer) {
  AwsChunkedOptions o{Mode::unsigned_trailer, {}, 3, "x-amz-checksum-crc32"};
  Bytes body = bytes("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n");
  for (size_t piece : {0, 1, 2, 5}) EXPECT_EQ(decode(o, body, piece), bytes("abc"));
  for (size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_EQ(error_code(o, Bytes(body.begin(), body.begin() + static_cast<ptrdiff_t>(cut))), "IncompleteBody") << cut;
  }
  // Several chunks, a sha256 checksum (name in any case, value padded).
  o = {Mode::unsigned_trailer, {}, 3, "X-Amz-Checksum-Sha256"};
  std::string digest_b64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";  // sha256("abc") in base64
  EXPECT_EQ(decode(o, bytes("1\r\na\r\n2\r\nbc\r\n0\r\nx-amz-checksum-sha256: " + digest_b64 + "\r\n\r\n")),
            bytes("abc"));
  // Upper- and lower-case hex sizes.
  o = {Mode::unsigned_trailer, {}, 20, ""};
  EXPECT_EQ(decode(o, bytes("A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n")), bytes("01234567890123456789"));
  // No trailer at all.
  o = {Mode::unsigned_trailer, {}, std::nullopt, ""};
  EXPECT_EQ(decode(o, bytes("3\r\nabc\r\n0\r\n\r\n")), bytes("abc"));
  EXPECT_EQ(decode(o, bytes("0\r\n\r\n")), bytes(""));
}

TEST(AwsChunked, MalformedBodies) {
  AwsChunkedOptions u{Mode::unsigned_trailer, {}, std::nullopt, "x-amz-checksum-crc32"};
  const std::string crc = "x-amz-checksum-crc32:NSRBwg==\r\n\r\n";
  struct Case {
    std::string body, code;
  };
  for (const Case& c : std::vector<Case>{
           {"3\nabc\r\n0\r\n" + crc, "IncompleteBody"},                  // bare LF
           {"3\r\nabcd\r\n0\r\n" + crc, "IncompleteBody"},               // data longer than its size
           {"3\r\nab\r\n0\r\n" + crc, "IncompleteBody"},                 // shorter
           {"x\r\nabc\r\n0\r\n" + crc, "IncompleteBody"},                // not hex
           {"\r\nabc\r\n0\r\n" + crc, "IncompleteBody"},                 // no size
           {"-3\r\nabc\r\n0\r\n" + crc, "IncompleteBody"},               // sign
           {"3;x=y\r\nabc\r\n0\r\n" + crc, "IncompleteBody"},            // extension on an unsigned chunk
           {"10000000000000003\r\nabc\r\n", "IncompleteBody"},           // 17 hex digits
           {"3\r\nabc\r\n0\r\n" + crc + "x", "IncompleteBody"},          // bytes after the end
           {std::string(5000, '0') + "3\r\nabc\r\n", "IncompleteBody"},  // line over 4 KiB
           {"3\r\nabc\r\n0\r\nx-amz-checksum-crc32\r\n\r\n", "MalformedTrailerError"},
           {"3\r\nabc\r\n0\r\n:x\r\n\r\n", "MalformedTrailerError"},
           {"3\r\nabc\r\n0\r\nx-amz-meta-a:1\r\n\r\n", "MalformedTrailerError"},  // declared checksum missing
           {"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "BadDigest"},
       }) {
    EXPECT_EQ(error_code(u, bytes(c.body)), c.code) << c.body.substr(0, 60);
    EXPECT_EQ(error_code(u, bytes(c.body), 1), c.code) << c.body.substr(0, 60);
  }
  std::string many = "0\r\n";
  for (int i = 0; i < 17; ++i) many += "x-amz-meta-" + std::to_string(i) + ":v\r\n";
  EXPECT_EQ(error_code({Mode::unsigned_trailer, {}, std::nullopt, ""}, bytes(many + "\r\n")), "MalformedTrailerError");
  // x-amz-decoded-content-length disagrees: too much is caught at the size line, too little at the end.
  EXPECT_EQ(error_code({Mode::unsigned_trailer, {}, 2, ""}, bytes("3\r\nabc\r\n0\r\n\r\n")), "IncompleteBody");
  EXPECT_EQ(error_code({Mode::unsigned_trailer, {}, 4, ""}, bytes("3\r\nabc\r\n0\r\n\r\n")), "IncompleteBody");
  EXPECT_EQ(error_code({Mode::unsigned_trailer, {}, 0, ""}, bytes("ffffffffffffffff\r\n")), "IncompleteBody");
}

TEST(AwsChunked, SignedFramingErrors) {
  ChunkSigningContext s = example_signing(kSeed);
  Bytes good = sign_chunks({"abc", ""}, s);
  std::string text(good.begin(), good.end());
  AwsChunkedOptions o{Mode::signed_chunks, s, 3, ""};
  ASSERT_EQ(error_code(o, good), "");
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return bytes(t);
  };
  EXPECT_EQ(error_code(o, changed("3;chunk-signature=", "3\r\n")), "IncompleteBody");
  EXPECT_EQ(error_code(o, changed("3;chunk-signature=", "3;chunk-signatur=")), "IncompleteBody");
  EXPECT_EQ(error_code(o, changed("3;chunk-signature=", "3;chunk-signature=0")), "IncompleteBody");  // 65 digits
  EXPECT_EQ(error_code(o, changed("0;chunk-signature=", "0\r\n")), "IncompleteBody");
  EXPECT_EQ(error_code(o, bytes(text + "\r\n")), "IncompleteBody");
  // The signed trailer mode needs the trailer signature, last.
  AwsChunkedOptions t = trailer_options();
  Bytes example = trailer_example();
  std::string body(example.begin(), example.end());
  std::string no_sig = body;
  no_sig.erase(no_sig.find("x-amz-trailer-signature"), 90);
  EXPECT_EQ(error_code(t, bytes(no_sig)), "MalformedTrailerError");
  std::string after = body;
  after.insert(after.size() - 2, "x-amz-meta-late:1\r\n");
  EXPECT_EQ(error_code(t, bytes(after)), "MalformedTrailerError");
}

TEST(AwsChunked, UnsupportedChecksumAndSpentDecoder) {
  for (const char* name : {"x-amz-checksum-md5", "x-amz-checksum-", "content-md5"}) {
    try {
      AwsChunkedDecoder d({Mode::unsigned_trailer, {}, std::nullopt, name});
      ADD_FAILURE() << name;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), "InvalidRequest");
      EXPECT_EQ(e.status(), 400);
    }
  }
  // Plain signed chunks ignore x-amz-trailer.
  EXPECT_NO_THROW(AwsChunkedDecoder({Mode::signed_chunks, {}, std::nullopt, "x-amz-checksum-md5"}));
  // Every x-amz-checksum-* of PayloadChecksum is taken as a trailer.
  for (const char* name : {"x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "X-Amz-Checksum-CRC32"}) {
    EXPECT_NO_THROW(AwsChunkedDecoder({Mode::unsigned_trailer, {}, std::nullopt, name})) << name;
  }

  AwsChunkedDecoder d({Mode::unsigned_trailer, {}, std::nullopt, ""});
  Bytes out;
  EXPECT_THROW(d.feed_all(bytes("zz\r\n"), out), ApiError);
  try {
    d.feed_all(bytes("0\r\n\r\n"), out);
    ADD_FAILURE();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), "IncompleteBody");
  }
  EXPECT_THROW(d.finish(), ApiError);
}

TEST(AwsChunked, StepsPointIntoTheInput) {
  AwsChunkedDecoder d({Mode::unsigned_trailer, {}, std::nullopt, ""});
  Bytes body = bytes("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  AwsChunkedDecoder::Step s = d.feed(body);
  EXPECT_EQ(s.consumed, 6u);
  EXPECT_EQ(s.data.data(), body.data() + 3);
  EXPECT_EQ(s.data.size(), 3u);
  s = d.feed(std::span(body).subspan(6));
  EXPECT_EQ(s.consumed, 7u);
  EXPECT_EQ(std::string(s.data.begin(), s.data.end()), "de");
  s = d.feed(std::span(body).subspan(13));
  EXPECT_EQ(s.consumed, body.size() - 13);
  EXPECT_TRUE(s.data.empty());
  EXPECT_TRUE(d.done());
  d.finish();
}

TEST(AwsChunked, OptionsFromAVerifiedRequest) {
  VerifiedRequest v;
  IncomingRequest r{
      "PUT", "/b/k", {{"X-Amz-Decoded-Content-Length", " 66560 "}, {"X-Amz-Trailer", "x-amz-checksum-crc32"}}};
  v.payload = VerifiedRequest::Payload::sha256;
  EXPECT_FALSE(aws_chunked_options(v, r));
  v.payload = VerifiedRequest::Payload::streaming_signed_trailer;
  v.chunks.seed_signature = kSeed;
  auto o = aws_chunked_options(v, r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, Mode::signed_chunks_trailer);
  EXPECT_EQ(o->decoded_length, 66560u);
  EXPECT_EQ(o->trailer, "x-amz-checksum-crc32");
  EXPECT_EQ(o->signing.seed_signature, kSeed);
  r.headers[0].second = "12a";
  try {
    aws_chunked_options(v, r);
    ADD_FAILURE();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), "InvalidArgument");
  }
}

}  // namespace
}  // namespace haul::s3
