// /readyz's probe cache: at most one probe per store per max_age (sans-IO).
#include <gtest/gtest.h>

#include <thread>

#include "core/error.hpp"
#include "gateway/readiness.hpp"

using namespace haul;
using namespace haul::gateway;

TEST(Readiness, ProbesAtMostOncePerMaxAge) {
  Readiness r(std::chrono::seconds(2));
  const auto t0 = Readiness::Clock::time_point(std::chrono::hours(1));
  int probes = 0;
  bool broken = false;
  auto probe = [&] {
    ++probes;
    if (broken) throw Error(ErrorKind::io, "permission denied (Read-only file system)", "open /srv/store/tmp/x.probe");
  };
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(r.check("default", probe, t0 + std::chrono::milliseconds(i)).ready);
  EXPECT_EQ(probes, 1);
  broken = true;
  EXPECT_TRUE(r.check("default", probe, t0 + std::chrono::milliseconds(1999)).ready);  // cached
  auto s = r.check("default", probe, t0 + std::chrono::seconds(2));
  EXPECT_EQ(probes, 2);
  EXPECT_FALSE(s.ready);
  EXPECT_TRUE(s.fresh);
  EXPECT_EQ(s.message, "permission denied (Read-only file system)");
  EXPECT_EQ(s.detail, "permission denied (Read-only file system): open /srv/store/tmp/x.probe");
  auto cached = r.check("default", probe, t0 + std::chrono::seconds(3));
  EXPECT_FALSE(cached.ready);
  EXPECT_FALSE(cached.fresh);
  EXPECT_EQ(probes, 2);
  // Stores are cached apart.
  EXPECT_FALSE(r.check("other", probe, t0 + std::chrono::seconds(3)).ready);
  EXPECT_EQ(probes, 3);
}

TEST(Readiness, CallersDuringAProbeDoNotProbeAgain) {
  Readiness r(std::chrono::seconds(2));
  const auto t0 = Readiness::Clock::time_point(std::chrono::hours(1));
  int probes = 0;
  Readiness::State inner_first, inner_later;
  // A caller arriving while the first probe runs: "under way", no second probe.
  r.check(
      "s",
      [&] {
        ++probes;
        inner_first = r.check(
            "s", [&] { ++probes; }, t0);
      },
      t0);
  EXPECT_EQ(probes, 1);
  EXPECT_FALSE(inner_first.ready);
  EXPECT_EQ(inner_first.message, "first probe under way");
  // Later, a stale state is served while a refresh runs.
  r.check(
      "s",
      [&] {
        ++probes;
        inner_later = r.check(
            "s", [&] { ++probes; }, t0 + std::chrono::seconds(10));
      },
      t0 + std::chrono::seconds(10));
  EXPECT_EQ(probes, 2);
  EXPECT_TRUE(inner_later.ready);
  EXPECT_FALSE(inner_later.fresh);
}
