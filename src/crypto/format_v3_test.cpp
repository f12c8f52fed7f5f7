// Format 3: the header's metadata (one canonical encoding, bounded,
// authenticated by every segment and the trailer) and the trailer's optional
// SHA-256 / MD5 / ETag parts; round trips of all three formats with ranges.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "core/hex.hpp"
#include "crypto/md5.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;
using haul::testing::error_kind_of;

namespace {

Header v3_header(Metadata metadata = {}) {
  Header h = test::fixed_header(9, test::kSmallSegment);
  h.metadata = std::move(metadata);
  return h;
}

// A format-3 header whose metadata bytes are given raw (for decode tests).
std::vector<uint8_t> with_raw_metadata(const std::vector<uint8_t>& metadata) {
  auto bytes = encode_header(v3_header());
  bytes.resize(kFixedHeaderSize);
  const auto n = static_cast<uint32_t>(metadata.size());
  bytes.insert(bytes.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                             static_cast<uint8_t>(n)});
  bytes.insert(bytes.end(), metadata.begin(), metadata.end());
  return bytes;
}

// BE16(|name|) name BE32(|value|) value.
std::vector<uint8_t> entry(const std::string& name, const std::string& value) {
  std::vector<uint8_t> e{static_cast<uint8_t>(name.size() >> 8), static_cast<uint8_t>(name.size())};
  e.insert(e.end(), name.begin(), name.end());
  const auto n = static_cast<uint32_t>(value.size());
  e.insert(e.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                     static_cast<uint8_t>(n)});
  e.insert(e.end(), value.begin(), value.end());
  return e;
}

std::vector<uint8_t> metadata_bytes(uint16_t count, const std::vector<std::vector<uint8_t>>& entries) {
  std::vector<uint8_t> m{static_cast<uint8_t>(count >> 8), static_cast<uint8_t>(count)};
  for (const auto& e : entries) m.insert(m.end(), e.begin(), e.end());
  return m;
}

// Metadata whose encoding is exactly `size` bytes (>= 2 + 7 + 1).
Metadata metadata_of_size(size_t size) {
  return {{"x-amz-meta-big", std::string(size - 2 - 2 - 14 - 4, 'v')}};
}

}  // namespace

TEST(FormatV3, MetadataEncoding) {
  Header h = v3_header({{"content-type", "text/plain"}, {"x-amz-meta-k", ""}});
  auto b = encode_header(h);
  const auto want = metadata_bytes(2, {entry("content-type", "text/plain"), entry("x-amz-meta-k", "")});
  ASSERT_EQ(b.size(), kFixedHeaderSize + 4 + want.size());
  EXPECT_EQ(b[4], 3);
  EXPECT_EQ(to_hex(std::span(b).subspan(52, 4)), "00000030");  // 2 + (2+12+4+10) + (2+12+4+0) = 48
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 56, b.end()), want);
  Header d = decode_header(b);
  EXPECT_EQ(d.metadata, h.metadata);
  EXPECT_EQ(encode_header(d), b);
}

TEST(FormatV3, NewHeaderSortsAndValidatesMetadata) {
  auto ring = test::test_ring();
  Header h = new_header(ring.newest(), test::kSmallSegment,
                        {{"x-amz-meta-b", "2"}, {"content-type", "a/b"}, {"x-amz-meta-a", "1"}});
  EXPECT_EQ(h.version, kFormatVersion3);
  EXPECT_EQ(h.metadata, (Metadata{{"content-type", "a/b"}, {"x-amz-meta-a", "1"}, {"x-amz-meta-b", "2"}}));
  // Values are bytes: anything goes, including NUL and non-ASCII.
  EXPECT_EQ(
      new_header(ring.newest(), test::kSmallSegment, {{"x-amz-meta-bin", std::string("\0\xff\n", 3)}}).metadata.size(),
      1u);
  for (const std::string bad : {"", "Content-Type", "a b", "a:b", "caf\xc3\xa9", "a\nb", "(x)", "a/b"}) {
    EXPECT_EQ(error_kind_of([&] {
                new_header(ring.newest(), test::kSmallSegment, {{bad, "v"}});
              }),
              ErrorKind::bad_request)
        << bad;
  }
  // Every token character but upper case is a valid name character.
  EXPECT_EQ(new_header(ring.newest(), test::kSmallSegment, {{"!#$%&'*+-.^_`|~09az", "v"}}).metadata.size(), 1u);
  EXPECT_EQ(error_kind_of([&] {
              new_header(ring.newest(), test::kSmallSegment, {{"a", "1"}, {"b", "2"}, {"a", "3"}});
            }),
            ErrorKind::bad_request);
}

TEST(FormatV3, MetadataSizeLimit) {
  auto ring = test::test_ring();
  Header biggest = new_header(ring.newest(), test::kSmallSegment, metadata_of_size(kMaxMetadataSize));
  auto bytes = encode_header(biggest);
  EXPECT_EQ(bytes.size(), kMaxHeaderSize);
  EXPECT_EQ(decode_header(bytes).metadata, biggest.metadata);
  ObjectCipher cipher(ring, biggest, test::kIdentity);  // the largest AAD seals and opens
  auto plain = test::pattern(3000);
  EXPECT_EQ(test::decrypt_all(cipher, test::encrypt(cipher, plain)), plain);
  try {
    new_header(ring.newest(), test::kSmallSegment, metadata_of_size(kMaxMetadataSize + 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_request);
    EXPECT_NE(std::string(e.what()).find("8193 bytes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("8192"), std::string::npos) << e.what();
  }
  // Many small entries count too.
  Metadata many;
  for (int i = 0; i < 1000; ++i) many.emplace_back("x-amz-meta-" + std::to_string(1000 + i), "");
  EXPECT_EQ(error_kind_of([&] { new_header(ring.newest(), test::kSmallSegment, many); }), ErrorKind::bad_request);
  // encode_header refuses the same, from a hand-made header.
  EXPECT_EQ(error_kind_of([&] { encode_header(v3_header(metadata_of_size(kMaxMetadataSize + 1))); }),
            ErrorKind::bad_request);
}

TEST(FormatV3, EncodeRefusesNonCanonicalMetadataAsACallerBug) {
  EXPECT_EQ(error_kind_of([&] { encode_header(v3_header({{"b", ""}, {"a", ""}})); }), ErrorKind::internal);
  EXPECT_EQ(error_kind_of([&] { encode_header(v3_header({{"a", ""}, {"a", ""}})); }), ErrorKind::bad_request);
  EXPECT_EQ(error_kind_of([&] { encode_header(v3_header({{"A", ""}})); }), ErrorKind::bad_request);
  for (uint8_t v : {kFormatVersion1, kFormatVersion2}) {
    Header h = v3_header({{"a", ""}});
    h.version = v;
    EXPECT_EQ(error_kind_of([&] { encode_header(h); }), ErrorKind::internal);
  }
}

TEST(FormatV3, DecodeAcceptsOnlyTheCanonicalEncoding) {
  const auto a = entry("a", "1"), b = entry("b", "2");
  EXPECT_EQ(decode_header(with_raw_metadata(metadata_bytes(2, {a, b}))).metadata, (Metadata{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(decode_header(with_raw_metadata(metadata_bytes(0, {}))).metadata.empty());
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> bad = {
      {"no count", {}},
      {"half a count", {0}},
      {"descending", metadata_bytes(2, {b, a})},
      {"duplicate", metadata_bytes(2, {a, a})},
      {"upper-case name", metadata_bytes(1, {entry("A", "1")})},
      {"empty name", metadata_bytes(1, {entry("", "1")})},
      {"space in name", metadata_bytes(1, {entry("a b", "1")})},
      {"count too high", metadata_bytes(3, {a, b})},
      {"count too low", metadata_bytes(1, {a, b})},
      {"byte after the entries",
       [&] {
         auto m = metadata_bytes(2, {a, b});
         m.push_back(0);
         return m;
       }()},
      {"value runs past the end",
       [&] {
         auto m = metadata_bytes(1, {entry("a", "1")});
         m[2 + 2 + 1 + 3] = 2;  // value length 2, one byte there
         return m;
       }()},
      {"huge value length",
       [&] {
         auto m = metadata_bytes(1, {entry("a", "1")});
         m[2 + 2 + 1] = 0xff;
         return m;
       }()},
      {"name runs past the end", metadata_bytes(1, {{0, 9, 'a'}})},
  };
  for (const auto& item : bad) {
    const auto& metadata = item.second;  // (clang 14 captures no structured bindings)
    EXPECT_EQ(error_kind_of([&] { decode_header(with_raw_metadata(metadata)); }), ErrorKind::integrity) << item.first;
  }
  // Every proper prefix of a valid header, and any byte more, is refused.
  const auto good = with_raw_metadata(metadata_bytes(2, {a, b}));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(error_kind_of([&] { decode_header(std::span(good).first(n)); }), ErrorKind::integrity) << n;
  }
  auto longer = good;
  longer.push_back('x');
  EXPECT_EQ(error_kind_of([&] { decode_header(longer); }), ErrorKind::integrity);
  // A metadata size over the limit is refused before anything else is read.
  auto oversized = with_raw_metadata(metadata_bytes(1, {entry("x-amz-meta-big", std::string(9000, 'v'))}));
  EXPECT_EQ(error_kind_of([&] { decode_header(oversized); }), ErrorKind::integrity);
  auto announced = good;
  announced[52] = 0x7f;  // announces ~2 GB
  EXPECT_EQ(error_kind_of([&] { decode_header(announced); }), ErrorKind::integrity);
}

// Swapping the metadata is caught: it is part of the AAD of every segment
// and of the trailer, so under a changed header nothing opens.
TEST(FormatV3, MetadataTamperFailsEverySegmentAndTheTrailer) {
  auto ring = test::test_ring();
  const Header h = v3_header({{"content-type", "text/plain"}, {"x-amz-meta-owner", "alice"}});
  ObjectCipher cipher(ring, h, test::kIdentity);
  auto plain = test::pattern(3 * test::kSmallSegment + 5);
  auto body = test::encrypt(cipher, plain);
  const Layout l = cipher.layout();
  const std::vector<Metadata> swaps = {
      {{"content-type", "text/html"}, {"x-amz-meta-owner", "alice"}},  // another value
      {{"content-type", "text/plain"}, {"x-amz-meta-owner", "bob"}},
      {{"content-type", "text/plain"}},                                                       // one dropped
      {{"content-type", "text/plain"}, {"x-amz-meta-owner", "alice"}, {"x-amz-meta-z", ""}},  // one added
      {{"content-typf", "text/plain"}, {"x-amz-meta-owner", "alice"}},                        // a name
      {},                                                                                     // none
  };
  for (const auto& m : swaps) {
    Header forged = h;
    forged.metadata = m;
    ObjectCipher as_forged(ring, forged, test::kIdentity);
    for (uint64_t i = 0; i < l.segment_count(plain.size()); ++i) {
      const uint64_t n = l.segment_plain_size(i, plain.size());
      std::vector<uint8_t> out(n);
      auto sealed = std::span<const uint8_t>(body).subspan(i * l.sealed_segment_size(), n + kTagSize);
      EXPECT_TRUE(cipher.open_segment(i, i == 3, sealed, out)) << i;
      EXPECT_FALSE(as_forged.open_segment(i, i == 3, sealed, out)) << i;
    }
    EXPECT_FALSE(as_forged.open_trailer(std::span<const uint8_t>(body).last(kTrailerSizeV3)).has_value());
    EXPECT_THROW(test::decrypt_all(as_forged, body), Error);
  }
  EXPECT_TRUE(cipher.open_trailer(std::span<const uint8_t>(body).last(kTrailerSizeV3)).has_value());
}

TEST(FormatV3, TrailerEveryFlagCombination) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, v3_header(), test::kIdentity);
  const auto sha = sha256(as_bytes("abc"));
  const auto md = md5(as_bytes("abc"));
  for (bool with_sha : {false, true}) {
    for (bool with_md5 : {false, true}) {
      for (uint32_t parts : {0u, 1u, 10000u, 0xFFFFFFFFu}) {
        if (parts != 0 && !with_md5) continue;
        ObjectCipher::TrailerContents c;
        c.plain_size = 0x0102030405060708u;
        if (with_sha) c.sha256 = sha;
        if (with_md5) c.md5 = md;
        c.etag_parts = parts;
        SCOPED_TRACE(std::to_string(with_sha) + std::to_string(with_md5) + " " + std::to_string(parts));
        auto plain = encode_trailer(cipher.header(), c);
        ASSERT_EQ(plain.size(), kTrailerPlainSizeV3);
        char parts_hex[9];
        std::snprintf(parts_hex, sizeof parts_hex, "%08x", parts);
        EXPECT_EQ(to_hex(std::span(plain).first(13)), std::string("0102030405060708") + parts_hex + "0" +
                                                          std::to_string((with_sha ? 1 : 0) | (with_md5 ? 2 : 0)));
        auto sealed = cipher.seal_trailer(c);
        ASSERT_EQ(sealed.size(), kTrailerSizeV3);
        auto back = cipher.open_trailer(sealed);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(back->plain_size, c.plain_size);
        EXPECT_EQ(back->sha256, c.sha256);
        EXPECT_EQ(back->md5, c.md5);
        EXPECT_EQ(back->etag_parts, c.etag_parts);
        // Absent digests are zero bytes; any other byte there is refused.
        for (size_t at : {size_t{13}, size_t{44}, size_t{45}, size_t{60}}) {
          const bool absent = at < 45 ? !with_sha : !with_md5;
          auto changed = plain;
          changed[at] ^= 0x01;
          EXPECT_EQ(decode_trailer(cipher.header(), changed).has_value(), !absent) << at;
        }
        // Unknown flag bits are refused.
        for (uint8_t bit = 2; bit < 8; ++bit) {
          auto changed = plain;
          changed[12] |= static_cast<uint8_t>(1u << bit);
          EXPECT_FALSE(decode_trailer(cipher.header(), changed).has_value()) << int{bit};
        }
      }
    }
  }
  // ETag parts without an MD5: never sealed, never opened.
  ObjectCipher::TrailerContents parts_only{3, sha, std::nullopt, 2};
  EXPECT_EQ(error_kind_of([&] { cipher.seal_trailer(parts_only); }), ErrorKind::internal);
  auto plain = encode_trailer(cipher.header(), {3, sha, std::nullopt, 0});
  plain[11] = 2;
  EXPECT_FALSE(decode_trailer(cipher.header(), plain).has_value());
  EXPECT_FALSE(decode_trailer(cipher.header(), std::span(plain).first(60)).has_value());
  // A sealed trailer of the wrong size does not open.
  auto sealed = cipher.seal_trailer({3, sha, md, 0});
  EXPECT_FALSE(cipher.open_trailer(std::span(sealed).first(kTrailerSizeV2)).has_value());
}

TEST(FormatV3, OlderTrailersCarryOnlySha256) {
  auto ring = test::test_ring();
  const auto sha = sha256(as_bytes("abc"));
  for (uint8_t v : {kFormatVersion1, kFormatVersion2}) {
    Header h = test::fixed_header(9, test::kSmallSegment);
    h.version = v;
    ObjectCipher cipher(ring, h, test::kIdentity);
    auto sealed = cipher.seal_trailer({3, sha, std::nullopt, 0});
    ASSERT_EQ(sealed.size(), kTrailerSizeV2);
    auto back = cipher.open_trailer(sealed);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->plain_size, 3u);
    EXPECT_EQ(back->sha256, sha);
    EXPECT_FALSE(back->md5.has_value());
    EXPECT_EQ(back->etag_parts, 0u);
    EXPECT_EQ(error_kind_of([&] { cipher.seal_trailer({3, std::nullopt, std::nullopt, 0}); }), ErrorKind::internal);
    EXPECT_EQ(error_kind_of([&] { cipher.seal_trailer({3, sha, md5(as_bytes("abc")), 0}); }), ErrorKind::internal);
    StreamEncryptor enc(cipher);
    EXPECT_EQ(error_kind_of([&] { enc.compute_md5(); }), ErrorKind::internal);  // nowhere to put it
  }
}

TEST(FormatV3, EncryptorComputesMd5OnlyWhenAsked) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, v3_header({{"content-type", "text/plain"}}), test::kIdentity);
  auto plain = test::pattern(5 * test::kSmallSegment + 3);
  for (bool asked : {false, true}) {
    StreamEncryptor enc(cipher);
    if (asked) enc.compute_md5();
    std::vector<uint8_t> body;
    size_t at = 0;
    for (size_t c : test::chunking(plain.size(), 0, 700)) {
      enc.update(std::span<const uint8_t>(plain).subspan(at, c), body);
      at += c;
    }
    enc.finish(body);
    EXPECT_EQ(enc.md5().has_value(), asked);
    auto t = cipher.open_trailer(std::span<const uint8_t>(body).last(kTrailerSizeV3));
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->sha256, sha256(plain));
    EXPECT_EQ(t->etag_parts, 0u);
    if (asked) {
      EXPECT_EQ(enc.md5(), md5(plain));
      EXPECT_EQ(t->md5, md5(plain));
    } else {
      EXPECT_FALSE(t->md5.has_value());
    }
    EXPECT_EQ(test::decrypt_all(cipher, body), plain);
  }
  StreamEncryptor late(cipher);
  std::vector<uint8_t> out;
  late.update(std::span<const uint8_t>(plain).first(10), out);
  EXPECT_EQ(error_kind_of([&] { late.compute_md5(); }), ErrorKind::internal);
}

// An S3 multipart upload: parts sealed apart, the final part's trailer given
// the whole object's ETag (MD5 of the parts' MD5s) and no SHA-256.
TEST(FormatV3, MultipartEtagTotals) {
  auto ring = test::test_ring();
  ObjectCipher cipher(ring, v3_header(), test::kIdentity);
  auto plain = test::pattern(3 * test::kSmallSegment + 100);
  const auto p1 = std::span<const uint8_t>(plain).first(2 * test::kSmallSegment);
  const auto p2 = std::span<const uint8_t>(plain).subspan(2 * test::kSmallSegment);
  std::vector<uint8_t> part_md5s;
  std::vector<uint8_t> body;
  {
    StreamEncryptor enc(cipher, 0, false);
    enc.compute_md5();
    enc.update(p1, body);
    enc.finish(body);
    part_md5s.insert(part_md5s.end(), enc.md5()->begin(), enc.md5()->end());
  }
  StreamEncryptor last(cipher, 2, true);
  last.compute_md5();
  last.update(p2, body);
  // The last part's MD5 is known only once it is all seen; the completer
  // here knows the parts up front.
  const auto p2_md5 = md5(p2);
  part_md5s.insert(part_md5s.end(), p2_md5.begin(), p2_md5.end());
  const ObjectCipher::TrailerContents totals{plain.size(), std::nullopt, md5(part_md5s), 2};
  last.set_object_totals(totals);
  last.finish(body);
  EXPECT_EQ(last.md5(), p2_md5);
  auto t = cipher.open_trailer(std::span<const uint8_t>(body).last(kTrailerSizeV3));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->plain_size, plain.size());
  EXPECT_FALSE(t->sha256.has_value());
  EXPECT_EQ(t->md5, md5(part_md5s));
  EXPECT_EQ(t->etag_parts, 2u);
  EXPECT_EQ(test::decrypt_all(cipher, body), plain);
}

// Every format still round-trips, whole and in ranges, with its own trailer.
TEST(FormatV3, RoundTripsOfEveryFormatWithRanges) {
  auto ring = test::test_ring();
  std::mt19937_64 rng(5);
  for (uint8_t v : {kFormatVersion1, kFormatVersion2, kFormatVersion3}) {
    for (bool with_metadata : {false, true}) {
      if (with_metadata && v != kFormatVersion3) continue;
      Header h = test::fixed_header(9, test::kSmallSegment);
      h.version = v;
      if (with_metadata) h.metadata = {{"content-type", "image/png"}, {"x-amz-meta-m", std::string(300, 'm')}};
      ObjectCipher cipher(ring, h, test::kIdentity);
      const Layout l = Layout::for_header(h);
      EXPECT_EQ(l.trailer_size, v == kFormatVersion3 ? 77u : 56u);
      for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{test::kSmallSegment - 1}, uint64_t{test::kSmallSegment},
                         uint64_t{test::kSmallSegment + 1}, uint64_t{5000}}) {
        SCOPED_TRACE(std::to_string(v) + (with_metadata ? "+metadata " : " ") + std::to_string(n));
        auto plain = test::pattern(n, static_cast<uint32_t>(n + v));
        auto body = test::encrypt(cipher, plain);
        ASSERT_EQ(body.size(), l.body_size(n));
        EXPECT_EQ(l.plain_size(body.size()), n);
        EXPECT_EQ(test::decrypt_all(cipher, body), plain);
        auto t = cipher.open_trailer(std::span<const uint8_t>(body).subspan(l.trailer_offset(n)));
        ASSERT_TRUE(t.has_value());
        EXPECT_EQ(t->plain_size, n);
        EXPECT_EQ(t->sha256, sha256(plain));
        EXPECT_FALSE(t->md5.has_value());
        for (int i = 0; i < 40 && n > 0; ++i) {
          uint64_t a = rng() % n, b = rng() % n;
          uint64_t first = std::min(a, b), last = std::max(a, b);
          EXPECT_EQ(test::decrypt(cipher, body, n, first, last, i % 3 == 0 ? 1 : 0),
                    std::vector<uint8_t>(plain.begin() + static_cast<ptrdiff_t>(first),
                                         plain.begin() + static_cast<ptrdiff_t>(last) + 1))
              << first << "-" << last;
        }
      }
    }
  }
}
