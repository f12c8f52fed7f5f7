#include <gtest/gtest.h>

#include <map>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"

using namespace haul;
using namespace haul::crypto;

namespace {}  // namespace

TEST(Header, EncodesFieldsAtTheirOffsets) {
  Header h = test::fixed_header(0x01020304, 0x00010000);
  auto b = encode_header(h);
  ASSERT_EQ(b.size(), 58u);  // fixed part, BE32(2), BE16(0): no metadata
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "HAUL");
  EXPECT_EQ(b[4], 3);  // new objects are format 3
  EXPECT_EQ((std::vector<uint8_t>(b.begin() + 5, b.begin() + 9)), (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ((std::vector<uint8_t>(b.begin() + 9, b.begin() + 13)), (std::vector<uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(b[13], 0x40);
  EXPECT_EQ(b[44], 0x40 + 31);
  EXPECT_EQ(b[45], 0xe0);
  EXPECT_EQ(b[51], 0xe6);
  EXPECT_EQ((std::vector<uint8_t>(b.begin() + 52, b.end())), (std::vector<uint8_t>{0, 0, 0, 2, 0, 0}));
  Header d = decode_header(b);
  EXPECT_EQ(d.version, 3);
  EXPECT_EQ(d.key_id, h.key_id);
  EXPECT_EQ(d.segment_size, h.segment_size);
  EXPECT_EQ(d.salt, h.salt);
  EXPECT_EQ(d.nonce_prefix, h.nonce_prefix);
  EXPECT_TRUE(d.metadata.empty());
  EXPECT_EQ(encode_header(d), b);
  // Formats 1 and 2: the 52 fixed bytes alone.
  for (uint8_t v : {kFormatVersion1, kFormatVersion2}) {
    h.version = v;
    auto old = encode_header(h);
    ASSERT_EQ(old.size(), kFixedHeaderSize);
    EXPECT_EQ(old[4], v);
    EXPECT_TRUE(std::equal(old.begin() + 5, old.end(), b.begin() + 5));
    EXPECT_EQ(decode_header(old).version, v);
  }
}

TEST(Header, RejectsBadHeaders) {
  for (uint8_t version : {kFormatVersion2, kFormatVersion3}) {
    SCOPED_TRACE(int{version});
    Header base = test::fixed_header(1, 4096);
    base.version = version;
    auto good = encode_header(base);
    auto with = [&](size_t at, uint8_t v) {
      auto b = good;
      b[at] = v;
      return b;
    };
    for (size_t n = 0; n < good.size(); ++n) {
      EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(std::span(good).first(n)); }), ErrorKind::integrity)
          << n;
    }
    std::vector<uint8_t> longer(good.begin(), good.end());
    longer.push_back(0);
    EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(longer); }), ErrorKind::integrity);
    EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(with(0, 'h')); }), ErrorKind::integrity);
    EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(with(3, 'X')); }), ErrorKind::integrity);
    EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(with(4, 0)); }), ErrorKind::integrity);
    EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(with(4, 4)); }), ErrorKind::integrity);
    EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(with(4, 0xFF)); }), ErrorKind::integrity);
    for (uint32_t s : {0u, 1u, kMinSegmentSize - 1, kMaxSegmentSize + 1, 0xFFFFFFFFu}) {
      auto h = base;
      h.segment_size = s;
      EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(encode_header(h)); }), ErrorKind::integrity) << s;
    }
    for (uint32_t s : {kMinSegmentSize, kMaxSegmentSize}) {
      auto h = base;
      h.segment_size = s;
      EXPECT_EQ(decode_header(encode_header(h)).segment_size, s);
    }
  }
  // The version byte decides the size: 52 bytes are formats 1 and 2 only,
  // format 3 needs its metadata part.
  auto v2 = encode_header([] {
    Header h = test::fixed_header(1, 4096);
    h.version = kFormatVersion2;
    return h;
  }());
  EXPECT_EQ(decode_header(v2).version, 2);
  v2[4] = 1;
  EXPECT_EQ(decode_header(v2).version, 1);  // format 1 is still read
  v2[4] = 3;
  EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(v2); }), ErrorKind::integrity);
  auto v3 = encode_header(test::fixed_header(1, 4096));
  v3[4] = 2;
  EXPECT_EQ(haul::testing::error_kind_of([&] { decode_header(v3); }), ErrorKind::integrity);
}

TEST(Header, NewHeaderIsRandomAndCarriesTheKeyId) {
  auto ring = test::test_ring();
  Header a = new_header(ring.newest());
  Header b = new_header(ring.newest(), 1024);
  EXPECT_EQ(a.version, kFormatVersion3);
  EXPECT_EQ(a.key_id, 9u);
  EXPECT_EQ(a.segment_size, kDefaultSegmentSize);
  EXPECT_TRUE(a.metadata.empty());
  EXPECT_EQ(b.segment_size, 1024u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.nonce_prefix, b.nonce_prefix);
  EXPECT_EQ(haul::testing::error_kind_of([&] { new_header(ring.newest(), 100); }), ErrorKind::internal);
}

TEST(Layout, SizesAroundSegmentBoundaries) {
  // The trailer is 56 bytes in formats 1 and 2, 77 in format 3.
  for (uint64_t t : {uint64_t{56}, uint64_t{77}}) {
    Layout l{1024, t};
    struct Case {
      uint64_t plain, count, body;
    } cases[] = {
        {0, 1, 16 + t},           {1, 1, 1 + 16 + t},       {1023, 1, 1023 + 16 + t},
        {1024, 1, 1024 + 16 + t}, {1025, 2, 1025 + 32 + t}, {3 * 1024 + 5, 4, 3077 + 64 + t},
    };
    for (const auto& c : cases) {
      EXPECT_EQ(l.segment_count(c.plain), c.count) << c.plain;
      EXPECT_EQ(l.body_size(c.plain), c.body) << c.plain;
      EXPECT_EQ(l.plain_size(c.body), c.plain) << c.plain;
      EXPECT_EQ(l.trailer_offset(c.plain), c.body - t);
    }
    EXPECT_EQ(l.segment_plain_size(0, 0), 0u);
    EXPECT_EQ(l.segment_plain_size(0, 1025), 1024u);
    EXPECT_EQ(l.segment_plain_size(1, 1025), 1u);
    EXPECT_EQ(l.segment_plain_size(0, 2048), 1024u);
    EXPECT_EQ(l.segment_plain_size(1, 2048), 1024u);
  }
  Header h = test::fixed_header(1, 2048);
  EXPECT_EQ(Layout::for_header(h).trailer_size, kTrailerSizeV3);
  EXPECT_EQ(Layout::for_header(h).segment_size, 2048u);
  h.version = kFormatVersion2;
  EXPECT_EQ(Layout::for_header(h).trailer_size, kTrailerSizeV2);
  h.version = kFormatVersion1;
  EXPECT_EQ(Layout::for_header(h).trailer_size, kTrailerSizeV2);
  static_assert(kTrailerSizeV2 == 56 && kTrailerSizeV3 == 77 && kFixedHeaderSize == 52);
}

TEST(Layout, PlainSizeIsTheExactInverseOfBodySize) {
  for (uint32_t s : {1024u, 1500u}) {
    for (uint64_t t : {kTrailerSizeV2, kTrailerSizeV3}) {
      Layout l{s, t};
      std::map<uint64_t, uint64_t> body_to_plain;
      for (uint64_t p = 0; p <= 5 * uint64_t{s} + 3; ++p) {
        auto [it, fresh] = body_to_plain.emplace(l.body_size(p), p);
        ASSERT_TRUE(fresh) << "two plain sizes give body " << it->first;
      }
      uint64_t top = body_to_plain.rbegin()->first;
      for (uint64_t b = 0; b <= top; ++b) {
        auto it = body_to_plain.find(b);
        auto got = l.plain_size(b);
        if (it == body_to_plain.end()) {
          ASSERT_FALSE(got.has_value()) << "body " << b << " -> " << *got;
        } else {
          ASSERT_EQ(got, it->second) << "body " << b;
        }
      }
    }
  }
}

TEST(Layout, MaximumObjectSize) {
  for (uint32_t s : {kMinSegmentSize, kDefaultSegmentSize, kMaxSegmentSize}) {
    for (uint64_t t : {kTrailerSizeV2, kTrailerSizeV3}) {
      Layout l{s, t};
      uint64_t max_plain = (kMaxSegmentIndex + 1) * s;
      EXPECT_EQ(l.segment_count(max_plain), kMaxSegmentIndex + 1);
      EXPECT_EQ(l.plain_size(l.body_size(max_plain)), max_plain);
      EXPECT_EQ(haul::testing::error_kind_of([&] { l.segment_count(max_plain + 1); }), ErrorKind::payload_too_large);
      EXPECT_EQ(haul::testing::error_kind_of([&] { l.body_size(max_plain + 1); }), ErrorKind::payload_too_large);
      EXPECT_EQ(haul::testing::error_kind_of([&] { l.body_size(UINT64_MAX); }), ErrorKind::payload_too_large);
      EXPECT_FALSE(l.plain_size(l.body_size(max_plain) + 17).has_value());
      EXPECT_FALSE(l.plain_size(UINT64_MAX).has_value());
      EXPECT_FALSE(l.plain_size(UINT64_MAX - t).has_value());
    }
  }
}

TEST(Layout, BadSegmentSizeIsAnInternalError) {
  for (Layout l : {Layout{0, kTrailerSizeV3}, Layout{1024, 0}, Layout{1024, 60}}) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { l.segment_count(10); }), ErrorKind::internal);
    EXPECT_EQ(haul::testing::error_kind_of([&] { l.plain_size(100); }), ErrorKind::internal);
    EXPECT_EQ(haul::testing::error_kind_of([&] { l.cover(0, 1); }), ErrorKind::internal);
  }
}

TEST(Layout, Cover) {
  Layout l{1024, kTrailerSizeV2};
  auto c = l.cover(0, 0);
  EXPECT_EQ(c.first_segment, 0u);
  EXPECT_EQ(c.last_segment, 0u);
  EXPECT_EQ(c.body_offset, 0u);
  EXPECT_EQ(c.body_length, 1040u);
  c = l.cover(1023, 1024);
  EXPECT_EQ(c.first_segment, 0u);
  EXPECT_EQ(c.last_segment, 1u);
  EXPECT_EQ(c.body_length, 2080u);
  c = l.cover(2048, 3000);
  EXPECT_EQ(c.body_offset, 2080u);
  EXPECT_EQ(c.body_length, 1040u);
  // Exact: the last segment of a 3077-byte object holds 5 bytes.
  c = l.cover(2048, 3076, 3077);
  EXPECT_EQ(c.first_segment, 2u);
  EXPECT_EQ(c.last_segment, 3u);
  EXPECT_EQ(c.body_offset, 2080u);
  EXPECT_EQ(c.body_length, 1040u + 21u);
  c = l.cover(10, 20, 3077);
  EXPECT_EQ(c.body_length, 1040u);
  c = l.cover(0, 0, 0);  // empty object: the one empty segment
  EXPECT_EQ(c.body_offset, 0u);
  EXPECT_EQ(c.body_length, 16u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { l.cover(5, 4); }), ErrorKind::range_not_satisfiable);
  EXPECT_EQ(haul::testing::error_kind_of([&] { l.cover(5, 4, 100); }), ErrorKind::range_not_satisfiable);
  EXPECT_EQ(haul::testing::error_kind_of([&] { l.cover(0, 100, 100); }), ErrorKind::range_not_satisfiable);
  EXPECT_EQ(haul::testing::error_kind_of([&] { l.cover(100, 100, 100); }), ErrorKind::range_not_satisfiable);
}
