#include "client/stream_placement.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace haul::client {
namespace {

TEST(StreamPlacement, LeastLoadedTiesToTheFirst) {
  std::vector<StreamLoad> c(4);
  EXPECT_EQ(place_stream(c, false, std::nullopt), 0u);  // one at a time stays on one connection
  c[0].in_flight = 2;
  c[1].in_flight = 1;
  c[2].in_flight = 1;
  c[3].in_flight = 3;
  EXPECT_EQ(place_stream(c, false, std::nullopt), 1u);
}

TEST(StreamPlacement, OtherStreamsKeepOffAGatingRequestsConnection) {
  std::vector<StreamLoad> c(3);
  c[0] = {1, 1};  // a listing page in flight, nothing else
  c[1] = {5, 0};
  c[2] = {4, 0};
  EXPECT_EQ(place_stream(c, false, std::nullopt), 2u);
  // Every connection carries one: least loaded again.
  c[1].gating = 1;
  c[2].gating = 1;
  EXPECT_EQ(place_stream(c, false, std::nullopt), 0u);
}

TEST(StreamPlacement, GatingRequestsStayOnTheirConnection) {
  std::vector<StreamLoad> c(3);
  c[0] = {7, 0};
  c[1] = {0, 0};
  c[2] = {3, 0};
  // The first goes to the least loaded; the next back where the last went,
  // though it now carries more than another.
  EXPECT_EQ(place_stream(c, true, std::nullopt), 1u);
  c[1] = {2, 0};
  c[2] = {0, 0};
  EXPECT_EQ(place_stream(c, true, 1u), 1u);
  // ... unless another gating request is still in flight there.
  c[1] = {1, 1};
  EXPECT_EQ(place_stream(c, true, 1u), 2u);
  // A remembered index past the end (fewer connections) is ignored.
  EXPECT_EQ(place_stream(c, true, 9u), 2u);
}

}  // namespace
}  // namespace haul::client
