// The download piece size rule (piece_size.hpp).
#include <gtest/gtest.h>

#include "gateway/piece_size.hpp"

using haul::gateway::PieceSize;

TEST(PieceSize, StartsSmall) {
  EXPECT_EQ(PieceSize().current(), PieceSize::kSmall);
}

TEST(PieceSize, GrowsAfterAStreakOfKeptUpWrites) {
  PieceSize size;
  for (unsigned i = 1; i < PieceSize::kStreakToGrow; ++i) {
    size.written(true);
    EXPECT_EQ(size.current(), PieceSize::kSmall) << i;
  }
  size.written(true);
  EXPECT_EQ(size.current(), PieceSize::kLarge);
  size.written(true);  // stays large, however long the streak
  EXPECT_EQ(size.current(), PieceSize::kLarge);
}

TEST(PieceSize, ASlowWriteStartsOverSmall) {
  PieceSize size;
  for (unsigned i = 0; i < PieceSize::kStreakToGrow; ++i) size.written(true);
  size.written(false);
  EXPECT_EQ(size.current(), PieceSize::kSmall);
  // An interrupted streak counts from zero again.
  for (unsigned i = 1; i < PieceSize::kStreakToGrow; ++i) size.written(true);
  size.written(false);
  for (unsigned i = 1; i < PieceSize::kStreakToGrow; ++i) size.written(true);
  EXPECT_EQ(size.current(), PieceSize::kSmall);
}
