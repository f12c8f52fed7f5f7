// SealPipeline (seal_pipeline.hpp) over a memory store: what reaches the
// store, in how many writes, and that a failed write or commit leaves
// nothing visible and the previous version intact.
#include <gtest/gtest.h>

#include "core/error_kind_of.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"
#include "gateway/metrics.hpp"
#include "gateway/seal_pipeline.hpp"
#include "gateway/testing/harness.hpp"
#include "gateway/testing/memory_store.hpp"

namespace haul::gateway::testing {
namespace {

using Bytes = std::vector<uint8_t>;

class SealTest : public ::testing::Test {
 protected:
  SealTest() : header_(crypto::new_header(keys_.newest())), cipher_(keys_, header_, identity_) {}

  std::unique_ptr<SealPipeline> pipeline(const std::string& key, SealTarget target = {}) {
    return std::make_unique<SealPipeline>(cipher_, store_.create(key, crypto::encode_header(header_)), metrics_,
                                          target);
  }
  // Feeds plain in pieces of `piece` bytes, then commits.
  SealResult seal(const std::string& key, const Bytes& plain, size_t piece) {
    auto pipe = pipeline(key);
    for (size_t at = 0; at < plain.size(); at += piece) {
      pipe->write(std::span(plain).subspan(at, std::min(piece, plain.size() - at)));
    }
    return pipe->commit();
  }
  Bytes open(const std::string& key) {
    auto o = store_.object(key).value();
    return crypto::test::decrypt_all(crypto::ObjectCipher(keys_, crypto::decode_header(o.header), identity_), o.body);
  }

  crypto::Keyring keys_ = crypto::test::test_ring();
  crypto::ObjectIdentity identity_{"default", "k"};
  crypto::Header header_;
  crypto::ObjectCipher cipher_;
  MemoryStore store_;
  Metrics metrics_;
};

TEST_F(SealTest, SealsWhatItIsGivenAtAnyPiece) {
  const Bytes plain = crypto::test::pattern(3 * kSeg + 11);
  for (size_t piece : {size_t{1}, size_t{1000}, size_t{kSeg}, plain.size()}) {
    const SealResult r = seal("k", plain, piece);
    EXPECT_EQ(r.plain_size, plain.size());
    EXPECT_EQ(r.sha256, crypto::sha256(plain));
    EXPECT_EQ(open("k"), plain) << piece;
    const auto header = crypto::encode_header(header_);
    EXPECT_EQ(store_.object("k")->header, Bytes(header.begin(), header.end()));
  }
}

TEST_F(SealTest, HandsTheStoreAboutAMegabyteAtATime) {
  const Bytes plain = crypto::test::pattern(5 << 20);
  const auto before = store_.calls().writes;
  seal("k", plain, 4096);
  const auto writes = store_.calls().writes - before;
  EXPECT_GE(writes, 5u);  // bounded memory: not all at once
  EXPECT_LE(writes, 6u);  // few calls: not a write per piece
  EXPECT_GT(metrics_.encrypt_nanos.load(), 0u);
}

TEST_F(SealTest, AFailedWriteLeavesThePreviousVersion) {
  const Bytes before = crypto::test::pattern(1000, 1);
  seal("k", before, 1000);
  for (uint64_t failing : {uint64_t{1}, uint64_t{2}, uint64_t{3}}) {
    StoreFaults f;
    f.write = store_.calls().writes + failing;
    store_.set_faults(f);
    auto pipe = pipeline("k");
    const Bytes after = crypto::test::pattern(3 << 20, 2);
    EXPECT_EQ(haul::testing::error_kind_of([&] {
                for (size_t at = 0; at < after.size(); at += 65536) pipe->write(std::span(after).subspan(at, 65536));
                pipe->commit();
              }),
              ErrorKind::io)
        << failing;
    pipe.reset();  // the handler destroys the uncommitted pipeline
    store_.set_faults({});
    EXPECT_EQ(store_.object_count(), 1u);
    EXPECT_EQ(open("k"), before) << failing;
  }
}

TEST_F(SealTest, AFailedCommitLeavesNothing) {
  StoreFaults f;
  f.commit = 1;
  store_.set_faults(f);
  auto pipe = pipeline("new");
  pipe->write(crypto::test::pattern(100));
  EXPECT_EQ(haul::testing::error_kind_of([&] { pipe->commit(); }), ErrorKind::io);
  pipe.reset();
  EXPECT_FALSE(store_.object("new"));
}

TEST_F(SealTest, APartThatIsNotWholeSegmentsIsRefusedAtCommit) {
  SealTarget middle;
  middle.final_part = false;
  middle.write_trailer = false;
  auto pipe = pipeline("p", middle);
  pipe->write(crypto::test::pattern(kSeg + 1));
  EXPECT_EQ(haul::testing::error_kind_of([&] { pipe->commit(); }), ErrorKind::bad_request);
  pipe.reset();
  EXPECT_EQ(store_.object_count(), 0u);
}

}  // namespace
}  // namespace haul::gateway::testing
