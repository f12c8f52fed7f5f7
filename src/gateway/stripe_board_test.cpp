// The striped-upload board without sockets or stores.
#include "gateway/stripe_board.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "core/error.hpp"

using namespace haul;
using namespace haul::gateway;

namespace {

const std::string kSha(64, 'a');
const auto kT0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

std::vector<uint8_t> header_bytes(int& made) {
  ++made;
  return std::vector<uint8_t>(4, static_cast<uint8_t>(made));
}

}  // namespace

TEST(StripeBoard, ExactlyTheLastStoredStripeCompletes) {
  StripeBoard board;
  int headers = 0;
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 4);
  std::vector<StripeBoard::Claim> claims;
  for (uint32_t i : {2u, 0u, 3u, 1u}) {
    claims.push_back(board.claim(id, layout, kSha, i, kT0, [&] { return header_bytes(headers); }));
  }
  EXPECT_EQ(headers, 1);  // one header for the whole upload
  EXPECT_EQ(claims[0].upload, claims[3].upload);
  EXPECT_EQ(board.stored(claims[1]), 1u);
  EXPECT_EQ(board.stored(claims[0]), 2u);
  EXPECT_EQ(board.stored(claims[3]), 3u);
  EXPECT_EQ(board.open_uploads(), 1u);
  EXPECT_EQ(board.stored(claims[2]), 4u);
  EXPECT_EQ(board.open_uploads(), 0u);  // the completer owns it now
}

TEST(StripeBoard, ConflictsAreRefused) {
  StripeBoard board(/*max_uploads=*/2, std::chrono::seconds(600));
  int headers = 0;
  auto make = [&] { return header_bytes(headers); };
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 4);
  auto c = board.claim(id, layout, kSha, 0, kT0, make);
  // The same stripe twice, while sending and once stored.
  EXPECT_THROW(board.claim(id, layout, kSha, 0, kT0, make), Error);
  board.stored(c);
  EXPECT_THROW(board.claim(id, layout, kSha, 0, kT0, make), Error);
  // Another size, count or digest under the same id.
  EXPECT_THROW(board.claim(id, stripe_layout(8192, 4), kSha, 1, kT0, make), Error);
  EXPECT_THROW(board.claim(id, stripe_layout(4096, 2), kSha, 1, kT0, make), Error);
  EXPECT_THROW(board.claim(id, layout, std::string(64, 'b'), 1, kT0, make), Error);
  // Out of the layout.
  try {
    board.claim(id, layout, kSha, 4, kT0, make);
    FAIL() << "stripe 4 of 4 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_request);
  }
  // The same id under another key is another upload (the second of two).
  board.claim({"default", "other", "u1"}, layout, kSha, 0, kT0, make);
  // The bound on open uploads.
  try {
    board.claim({"default", "k", "u3"}, layout, kSha, 0, kT0, make);
    FAIL() << "a third upload opened on a board of two";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::conflict);
  }
}

TEST(StripeBoard, ReleasedStripeMayBeSentAgain) {
  StripeBoard board;
  int headers = 0;
  auto make = [&] { return header_bytes(headers); };
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 2);
  auto c = board.claim(id, layout, kSha, 1, kT0, make);
  board.release(c);
  auto again = board.claim(id, layout, kSha, 1, kT0, make);
  EXPECT_EQ(again.upload, c.upload);
  EXPECT_EQ(board.stored(again), 1u);
}

TEST(StripeBoard, ExpiredUploadsLeaveAndTheirLateStripesFail) {
  StripeBoard board(16, std::chrono::seconds(60));
  int headers = 0;
  auto make = [&] { return header_bytes(headers); };
  StripedUploadId id{"default", "k", "u1"};
  auto layout = stripe_layout(4096, 2);
  auto c = board.claim(id, layout, kSha, 0, kT0, make);
  EXPECT_TRUE(board.take_expired(kT0 + std::chrono::seconds(59)).empty());
  auto gone = board.take_expired(kT0 + std::chrono::seconds(61));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], c.upload);
  EXPECT_THROW(board.stored(c), Error);
  // A new upload under the same id starts over with a new header.
  auto fresh = board.claim(id, layout, kSha, 0, kT0 + std::chrono::seconds(61), make);
  EXPECT_NE(fresh.upload, c.upload);
  EXPECT_EQ(headers, 2);
  board.release(c);  // the old claim does not touch the new upload
  EXPECT_THROW(board.claim(id, layout, kSha, 0, kT0, make), Error);
}

TEST(StripeBoard, StoreUploadBegunOnceUnderContention) {
  StripedUpload u;
  std::atomic<int> begun{0};
  std::vector<std::thread> threads;
  std::vector<std::string> seen(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      seen[i] = u.store_upload([&] {
        ++begun;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return std::string("store-upload-1");
      });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(begun.load(), 1);
  for (auto& s : seen) EXPECT_EQ(s, "store-upload-1");
  EXPECT_EQ(u.begun_store_upload(), "store-upload-1");
}
