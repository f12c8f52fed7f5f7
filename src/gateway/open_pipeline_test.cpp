// ObjectOpener (open_pipeline.hpp) over a real fs store in a temp directory:
// statuses, ranges, pieces, and integrity failures before and after the
// status line; over a memory store, the store failing under it.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "core/test_temp_dir.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"
#include "gateway/metrics.hpp"
#include "gateway/open_pipeline.hpp"
#include "gateway/testing/memory_store.hpp"
#include "store/fs_store.hpp"

namespace haul::gateway {
namespace {

namespace sfs = std::filesystem;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kSeg = crypto::kDefaultSegmentSize;

struct Download {
  ResponseStart start;
  Bytes body;
  size_t pieces = 0;
  std::optional<ErrorKind> failed_after_start;  // next() threw
};

class OpenerTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::make_fs_store(dir_.string()); }
  void TearDown() override { store_.reset(); }

  // Seals plain as the gateway's PUT does; `damage` flips one body byte.
  void put(const std::string& key, const Bytes& plain, uint32_t segment_size = kSeg,
           std::optional<size_t> damage = std::nullopt) {
    auto header = crypto::new_header(keys_.newest(), segment_size);
    crypto::ObjectCipher cipher(keys_, header, identity(key));
    Bytes body = crypto::test::encrypt(cipher, plain);
    if (damage) body.at(*damage) ^= 0x01;
    auto writer = store_->create(key, crypto::encode_header(header));
    writer->write(body);
    writer->commit();
  }

  // open(), then next() until the end or a throw.
  Download get(const std::string& key, const std::string& range = "") {
    ObjectOpener opener(*store_, keys_, metrics_, ReadTarget{identity(key)}, range);
    Download d;
    d.start = opener.open();
    try {
      for (;;) {
        auto piece = opener.next();
        if (piece.empty()) break;
        d.body.insert(d.body.end(), piece.begin(), piece.end());
        ++d.pieces;
      }
      EXPECT_TRUE(opener.next().empty());  // the end stays the end
    } catch (const Error& e) {
      d.failed_after_start = e.kind();
    }
    return d;
  }

  ErrorKind open_error(const std::string& key, const std::string& range = "") {
    return haul::testing::error_kind_of([&] {
      ObjectOpener opener(*store_, keys_, metrics_, ReadTarget{identity(key)}, range);
      opener.open();
    });
  }

  // The identity format-2 objects are sealed for (store "default").
  static crypto::ObjectIdentity identity(const std::string& key) { return {"default", key}; }

  static Bytes slice(const Bytes& b, uint64_t first, uint64_t last) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(first), b.begin() + static_cast<std::ptrdiff_t>(last + 1));
  }

  haul::testing::TempDir temp_{"haul-opener-test"};
  const sfs::path dir_ = temp_.path();
  std::unique_ptr<store::Store> store_;
  crypto::Keyring keys_ = crypto::test::test_ring();
  Metrics metrics_;
};

TEST_F(OpenerTest, WholeObjectsOfEverySize) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, kSeg - 1, kSeg, kSeg + 1, 5 * kSeg + 17, uint64_t{(1 << 20) + 3}}) {
    Bytes plain = crypto::test::pattern(size, static_cast<uint32_t>(size));
    put("k", plain);
    Download d = get("k");
    EXPECT_EQ(d.start.status, 200) << size;
    EXPECT_EQ(d.start.content_length, size);
    EXPECT_EQ(d.start.object_size, size);
    EXPECT_FALSE(d.start.content_range);
    EXPECT_FALSE(d.failed_after_start) << size;
    EXPECT_EQ(d.body, plain) << size;
  }
  // A megabyte comes in several pieces (one store read each), not one.
  Download big = get("k");
  EXPECT_GE(big.pieces, 4u);
  EXPECT_GT(metrics_.decrypt_nanos.load(), 0u);
}

TEST_F(OpenerTest, Ranges) {
  const uint64_t size = 5 * kSeg + 17;
  Bytes plain = crypto::test::pattern(size, 7);
  put("r", plain);
  struct Case {
    std::string header;
    uint64_t first, last;
  };
  for (const Case& c :
       {Case{"bytes=0-0", 0, 0}, Case{"bytes=65535-65536", kSeg - 1, kSeg}, Case{"bytes=100-", 100, size - 1},
        Case{"bytes=-10", size - 10, size - 1}, Case{"bytes=-1", size - 1, size - 1},
        Case{"bytes=" + std::to_string(3 * kSeg) + "-", 3 * kSeg, size - 1},
        Case{"bytes=5-" + std::to_string(size + 1000), 5, size - 1}}) {
    Download d = get("r", c.header);
    EXPECT_EQ(d.start.status, 206) << c.header;
    EXPECT_EQ(d.start.content_length, c.last - c.first + 1) << c.header;
    EXPECT_EQ(d.start.content_range,
              "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + std::to_string(size))
        << c.header;
    EXPECT_EQ(d.body, slice(plain, c.first, c.last)) << c.header;
  }
  // A suffix longer than the object is the whole object, as a 206.
  Download all = get("r", "bytes=-100000000");
  EXPECT_EQ(all.start.status, 206);
  EXPECT_EQ(all.body, plain);
  // Several ranges: the whole object, 200.
  EXPECT_EQ(get("r", "bytes=0-1,5-6").start.status, 200);
  // Past the end: 416 with the size, nothing follows.
  Download past = get("r", "bytes=" + std::to_string(size) + "-");
  EXPECT_EQ(past.start.status, 416);
  EXPECT_EQ(past.start.content_range, "bytes */" + std::to_string(size));
  EXPECT_TRUE(past.body.empty());
  // The ETag names the stored version, whatever the range.
  EXPECT_EQ(get("r", "bytes=0-0").start.etag, get("r").start.etag);
  EXPECT_EQ(open_error("r", "bytes=9-1"), ErrorKind::bad_request);
  EXPECT_EQ(open_error("r", "lines=1-2"), ErrorKind::bad_request);
}

TEST_F(OpenerTest, EmptyObject) {
  put("e", {});
  Download d = get("e");
  EXPECT_EQ(d.start.status, 200);
  EXPECT_EQ(d.start.content_length, 0u);
  EXPECT_EQ(d.pieces, 0u);
  EXPECT_FALSE(d.failed_after_start);
  EXPECT_EQ(get("e", "bytes=0-").start.status, 416);
  // Its one (empty) segment is authenticated before the status: damage is an error status.
  put("e", {}, kSeg, 3);
  EXPECT_EQ(open_error("e"), ErrorKind::integrity);
}

TEST_F(OpenerTest, UnusualSegmentSizeNeedsTheExactCover) {
  const uint64_t size = 10 * 4096 + 5;
  Bytes plain = crypto::test::pattern(size, 9);
  put("s", plain, 4096);
  EXPECT_EQ(get("s").body, plain);
  Download d = get("s", "bytes=5000-20000");
  EXPECT_EQ(d.start.status, 206);
  EXPECT_EQ(d.body, slice(plain, 5000, 20000));
  EXPECT_EQ(get("s", "bytes=-3").body, slice(plain, size - 3, size - 1));
}

TEST_F(OpenerTest, DamageInTheFirstSegmentIsAnErrorStatus) {
  put("d", crypto::test::pattern(3 * kSeg, 4), kSeg, 10);
  EXPECT_EQ(open_error("d"), ErrorKind::integrity);
  // The same for a range whose first covering segment is damaged.
  const uint64_t sealed = kSeg + crypto::kTagSize;
  put("d", crypto::test::pattern(3 * kSeg, 4), kSeg, sealed + 10);
  EXPECT_EQ(open_error("d", "bytes=" + std::to_string(kSeg) + "-"), ErrorKind::integrity);
  EXPECT_EQ(get("d", "bytes=0-99").body.size(), 100u);  // segment 0 is intact
}

TEST_F(OpenerTest, DamageLaterCutsAfterTheGoodBytes) {
  // Segment 9 lies beyond the first store read (256 KiB): open() answers
  // 200, next() hands out the authenticated segments before it, then throws.
  const uint64_t sealed = kSeg + crypto::kTagSize;
  Bytes plain = crypto::test::pattern(16 * kSeg, 5);
  put("late", plain, kSeg, 9 * sealed + 100);
  Download d = get("late");
  EXPECT_EQ(d.start.status, 200);
  ASSERT_TRUE(d.failed_after_start);
  EXPECT_EQ(*d.failed_after_start, ErrorKind::integrity);
  EXPECT_GE(d.body.size(), kSeg);
  EXPECT_LE(d.body.size(), 9 * kSeg);
  EXPECT_EQ(d.body, slice(plain, 0, d.body.size() - 1));
}

// A whole object whose stored body fits one read (kWholeReadLimit) is read
// with its trailer: the answer carries the authenticated SHA-256, so a
// client needs no HEAD. Ranges and bigger objects carry none.
TEST_F(OpenerTest, SmallWholeObjectsCarryTheirDigest) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{4096}, kSeg, 3 * kSeg + 5}) {
    Bytes plain = crypto::test::pattern(size, static_cast<uint32_t>(size) + 1);
    put("small", plain);
    Download d = get("small");
    EXPECT_EQ(d.start.sha256_hex, crypto::sha256_hex(plain)) << size;
    EXPECT_EQ(d.body, plain) << size;
    EXPECT_FALSE(d.failed_after_start) << size;
    if (size > 0) {
      // A range that names the whole object is the whole object.
      EXPECT_EQ(get("small", "bytes=0-").start.sha256_hex, crypto::sha256_hex(plain)) << size;
      EXPECT_EQ(get("small", "bytes=0-" + std::to_string(size + 1000)).start.sha256_hex, crypto::sha256_hex(plain));
    }
    if (size > 1) {
      EXPECT_EQ(get("small", "bytes=0-0").start.sha256_hex, "") << size;
    }
  }
  Bytes big = crypto::test::pattern(4 * kSeg, 11);  // 256 KiB of plaintext: its body is more
  put("big", big);
  Download d = get("big");
  EXPECT_EQ(d.start.sha256_hex, "");
  EXPECT_EQ(d.body, big);
  // An unusual segment size takes a second read with the exact cover (no trailer): no digest, same bytes.
  Bytes odd = crypto::test::pattern(3 * 4096, 12);
  put("odd", odd, 4096);
  EXPECT_EQ(get("odd").start.sha256_hex, "");
  EXPECT_EQ(get("odd").body, odd);
}

TEST_F(OpenerTest, DamagedTrailerOfASmallObjectIsAnErrorStatus) {
  Bytes plain = crypto::test::pattern(5000, 13);
  auto header = crypto::new_header(keys_.newest());
  crypto::ObjectCipher cipher(keys_, header, identity("t"));
  Bytes body = crypto::test::encrypt(cipher, plain);
  body.back() ^= 0x01;  // the trailer's tag
  auto writer = store_->create("t", crypto::encode_header(header));
  writer->write(body);
  writer->commit();
  EXPECT_EQ(open_error("t"), ErrorKind::integrity);
  // A range does not read the trailer: its segment is intact.
  EXPECT_EQ(get("t", "bytes=0-99").body, slice(plain, 0, 99));
}

TEST_F(OpenerTest, TruncatedOrMissingObjects) {
  EXPECT_EQ(open_error("absent"), ErrorKind::not_found);
  // A body cut to a length no object has.
  auto header = crypto::new_header(keys_.newest());
  auto writer = store_->create("cut", crypto::encode_header(header));
  writer->write(Bytes(100, 1));
  writer->commit();
  EXPECT_EQ(open_error("cut"), ErrorKind::integrity);
}

// The store failing under a download: each failure surfaces from the call
// that met it, open() (no status line yet) or next() (the caller cuts).
class OpenerFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override { store_k(plain_); }
  // Seals plain as object "k" (replacing what was there).
  void store_k(const Bytes& plain) {
    auto header = crypto::new_header(keys_.newest());
    crypto::ObjectCipher cipher(keys_, header, {"default", "k"});
    auto writer = store_.create("k", crypto::encode_header(header));
    writer->write(crypto::test::encrypt(cipher, plain));
    writer->commit();
  }
  // Every read of the store throws `kind` once `bytes` of the body were read.
  void fail_reads_after(uint64_t bytes, ErrorKind kind) {
    testing::StoreFaults f;
    f.throw_after = bytes;
    f.kind = kind;
    store_.set_faults(f);
  }
  // open(), then next() to the end; the kind of the Error and whether it
  // came from open().
  // piece_size: what next() is asked for (the stored bytes per piece).
  std::pair<std::optional<ErrorKind>, bool> download(Bytes& got, size_t piece_size = kWholeReadLimit) {
    ObjectOpener opener(store_, keys_, metrics_, ReadTarget{{"default", "k"}}, "");
    try {
      opener.open();
    } catch (const Error& e) {
      return {e.kind(), true};
    }
    try {
      for (auto piece = opener.next(piece_size); !piece.empty(); piece = opener.next(piece_size))
        got.insert(got.end(), piece.begin(), piece.end());
    } catch (const Error& e) {
      return {e.kind(), false};
    }
    return {std::nullopt, false};
  }

  const Bytes plain_ = crypto::test::pattern(16 * kSeg, 3);
  testing::MemoryStore store_;
  crypto::Keyring keys_ = crypto::test::test_ring();
  Metrics metrics_;
};

TEST_F(OpenerFaultsTest, FirstReadFailingFailsOpen) {
  testing::StoreFaults f;
  f.read = 1;
  f.kind = ErrorKind::backend_timeout;
  store_.set_faults(f);
  Bytes got;
  EXPECT_EQ(download(got), std::make_pair(std::optional(ErrorKind::backend_timeout), true));
}

TEST_F(OpenerFaultsTest, ReaderThrowingMidBodyFailsNext) {
  fail_reads_after(7 * (kSeg + crypto::kTagSize) + 3, ErrorKind::backend_unavailable);
  Bytes got;
  EXPECT_EQ(download(got), std::make_pair(std::optional(ErrorKind::backend_unavailable), false));
  EXPECT_EQ(got, Bytes(plain_.begin(), plain_.begin() + 7 * kSeg));  // every whole segment read before it
}

TEST_F(OpenerFaultsTest, BodyEndingEarlyIsAnIntegrityFailure) {
  testing::StoreFaults f;
  f.short_read_after = 12 * (kSeg + crypto::kTagSize);  // whole segments, then the end
  store_.set_faults(f);
  Bytes got;
  EXPECT_EQ(download(got), std::make_pair(std::optional(ErrorKind::integrity), false));
  EXPECT_EQ(got, Bytes(plain_.begin(), plain_.begin() + 12 * kSeg));  // never a byte it could not authenticate
}

TEST_F(OpenerFaultsTest, WithoutFaultsEveryByteArrives) {
  Bytes got;
  EXPECT_EQ(download(got), std::make_pair(std::optional<ErrorKind>(), false));
  EXPECT_EQ(got, plain_);
}

// A small whole object is read to its end by open(): a read failing after
// the first segments authenticated is the store's error, before any status.
TEST_F(OpenerFaultsTest, ASmallObjectsReadFailingLateFailsOpenWithTheStoresError) {
  store_k(crypto::test::pattern(3 * kSeg, 4));  // stored whole within one read's limit
  fail_reads_after(2 * (kSeg + crypto::kTagSize) + 3, ErrorKind::backend_unavailable);
  Bytes got;
  EXPECT_EQ(download(got), std::make_pair(std::optional(ErrorKind::backend_unavailable), true));
}

TEST_F(OpenerFaultsTest, LargePiecesCarryTheSameBytes) {
  Bytes got;
  EXPECT_EQ(download(got, 4 * kWholeReadLimit), std::make_pair(std::optional<ErrorKind>(), false));
  EXPECT_EQ(got, plain_);
}

// A large piece takes several store reads; one failing after the first still
// hands out what authenticated before it, and the next call throws.
TEST_F(OpenerFaultsTest, AFailureInsideALargePieceKeepsTheBytesBeforeIt) {
  // In the second read of the 1 MiB piece after open()'s.
  fail_reads_after(7 * (kSeg + crypto::kTagSize) + 3, ErrorKind::backend_unavailable);
  Bytes got;
  EXPECT_EQ(download(got, 4 * kWholeReadLimit), std::make_pair(std::optional(ErrorKind::backend_unavailable), false));
  EXPECT_EQ(got, Bytes(plain_.begin(), plain_.begin() + 7 * kSeg));
}

}  // namespace
}  // namespace haul::gateway
