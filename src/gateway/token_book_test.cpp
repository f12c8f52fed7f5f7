// Token reloads: the table is replaced whole, counters of kept tokens carry
// over, requests admitted before a reload give back to what they took.
#include "gateway/token_book.hpp"

#include <gtest/gtest.h>

using namespace haul::gateway;

TEST(TokenLimiter, CarryOverSharesCountersOfKeptTokens) {
  TokenLimiter before(3, 2);
  auto a = before.acquire(0);  // token at 0 ("alpha")
  auto c = before.acquire(2);  // token at 2 ("gamma"), which the new file drops
  ASSERT_TRUE(a && c);
  // New file: gamma gone, alpha moved to 1, a new token at 0.
  const std::vector<std::optional<size_t>> kept = {std::nullopt, 0};
  TokenLimiter after = before.carry_over(kept);
  EXPECT_EQ(after.in_progress(1), 1u);  // alpha's request in progress still counts
  EXPECT_EQ(after.in_progress(0), 0u);
  auto a2 = after.acquire(1);
  ASSERT_TRUE(a2);
  EXPECT_FALSE(after.acquire(1));  // alpha: 2 in progress, across the reload
  a.reset();                       // the request admitted before the reload ends
  EXPECT_EQ(after.in_progress(1), 1u);
  EXPECT_TRUE(after.acquire(1));
  c.reset();  // a slot of a dropped token gives back to its own counter, harmlessly
}

TEST(TokenBook, ReplaceReordersAddsAndRemoves) {
  TokenBook book(TokenSet::parse("alpha\nbeta\n"), 1);
  auto before = book.current();
  auto slot = before->limits.acquire(*before->tokens.match("Bearer beta"));
  ASSERT_TRUE(slot);

  book.replace(TokenSet::parse("gamma\nbeta\n"));
  auto after = book.current();
  EXPECT_FALSE(after->tokens.match("Bearer alpha"));
  EXPECT_EQ(after->tokens.match("Bearer gamma"), 0u);
  ASSERT_EQ(after->tokens.match("Bearer beta"), 1u);
  EXPECT_FALSE(after->limits.acquire(1));  // beta's request from before still holds its one slot
  EXPECT_TRUE(after->limits.acquire(0));
  // The old table still answers for requests admitted under it.
  EXPECT_TRUE(before->tokens.match("Bearer alpha"));
  slot.reset();
  EXPECT_TRUE(after->limits.acquire(1));
}

TEST(TokenBook, ManyReloadsKeepCountsExact) {
  TokenBook book(TokenSet::parse("t0\nt1\nt2\n"), 1000);
  std::vector<TokenLimiter::Slot> held;
  for (int round = 0; round < 50; ++round) {
    auto table = book.current();
    auto index = table->tokens.match("Bearer t1");
    ASSERT_TRUE(index);
    held.push_back(std::move(*table->limits.acquire(*index)));
    // Rotate the file's order and add a fresh token each time.
    book.replace(TokenSet::parse("fresh" + std::to_string(round) + "\nt2\nt1\nt0\n"));
  }
  auto table = book.current();
  EXPECT_EQ(table->limits.in_progress(*table->tokens.match("Bearer t1")), 50u);
  held.clear();
  EXPECT_EQ(table->limits.in_progress(*table->tokens.match("Bearer t1")), 0u);
}
