// The striped-upload board without sockets or stores.
#include "gateway/stripe_board.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"

using namespace haul;
using namespace haul::gateway;

namespace {

const std::string kSha(64, 'a');
const auto kT0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

}  // namespace

TEST(StripeBoard, ExactlyTheLastStoredStripeCompletes) {
  StripeBoard board;
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 4);
  std::vector<StripeBoard::Claim> claims;
  for (uint32_t i : {2u, 0u, 3u, 1u}) claims.push_back(board.claim(id, layout, kSha, i, kT0));
  EXPECT_EQ(claims[0].upload, claims[3].upload);  // one upload, one buffer
  EXPECT_EQ(claims[0].upload->plain.size(), 4096u);
  EXPECT_EQ(board.bytes_held(), 4096u);
  EXPECT_EQ(board.stored(claims[1]), 1u);
  EXPECT_EQ(board.stored(claims[0]), 2u);
  EXPECT_EQ(board.stored(claims[3]), 3u);
  EXPECT_EQ(board.open_uploads(), 1u);
  EXPECT_EQ(board.stored(claims[2]), 4u);
  EXPECT_EQ(board.open_uploads(), 0u);  // the completer owns it now
  EXPECT_EQ(board.bytes_held(), 0u);
}

TEST(StripeBoard, ConflictsAreRefused) {
  StripeBoard board(/*max_bytes=*/8192, std::chrono::seconds(600));
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 4);
  auto c = board.claim(id, layout, kSha, 0, kT0);
  // The same stripe twice, while sending and once stored.
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, layout, kSha, 0, kT0); }), ErrorKind::conflict);
  board.stored(c);
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, layout, kSha, 0, kT0); }), ErrorKind::conflict);
  // Another size, count or digest under the same id.
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, stripe_layout(8192, 4), kSha, 1, kT0); }),
            ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, stripe_layout(4096, 2), kSha, 1, kT0); }),
            ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, layout, std::string(64, 'b'), 1, kT0); }),
            ErrorKind::conflict);
  // Out of the layout.
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, layout, kSha, 4, kT0); }), ErrorKind::bad_request);
  // The same id under another key is another upload (4 KiB more: 8 KiB held).
  board.claim({"default", "other", "u1"}, layout, kSha, 0, kT0);
  EXPECT_EQ(board.bytes_held(), 8192u);
  // The bound on memory held.
  EXPECT_EQ(haul::testing::error_kind_of([&] {
              board.claim({"default", "k", "u3"}, layout, kSha, 0, kT0);
            }),
            ErrorKind::conflict);
}

TEST(StripeBoard, ReleasedStripeMayBeSentAgain) {
  StripeBoard board;
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 2);
  auto c = board.claim(id, layout, kSha, 1, kT0);
  board.release(c);
  auto again = board.claim(id, layout, kSha, 1, kT0);
  EXPECT_EQ(again.upload, c.upload);
  EXPECT_EQ(board.stored(again), 1u);
}

TEST(StripeBoard, ExpiredUploadsLeaveAndTheirLateStripesFail) {
  StripeBoard board(1 << 20, std::chrono::seconds(60));
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 2);
  auto c = board.claim(id, layout, kSha, 0, kT0);
  EXPECT_EQ(board.drop_expired(kT0 + std::chrono::seconds(59)), 0u);
  EXPECT_EQ(board.drop_expired(kT0 + std::chrono::seconds(61)), 1u);
  EXPECT_EQ(board.bytes_held(), 0u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.stored(c); }), ErrorKind::conflict);
  // A new upload under the same id starts over.
  auto fresh = board.claim(id, layout, kSha, 0, kT0 + std::chrono::seconds(61));
  EXPECT_NE(fresh.upload, c.upload);
  board.release(c);  // the old claim does not touch the new upload
  EXPECT_EQ(haul::testing::error_kind_of([&] { board.claim(id, layout, kSha, 0, kT0); }), ErrorKind::conflict);
}
