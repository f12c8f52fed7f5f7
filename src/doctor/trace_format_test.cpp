#include <gtest/gtest.h>

#include "doctor/trace_format.hpp"
#include "doctor/units.hpp"

using namespace haul::doctor;

TEST(TraceFormat, SampleAndCsv) {
  haul::net::TcpInfo i;
  i.snd_cwnd = 40;
  i.unacked = 30;
  i.snd_mss = 1448;
  i.delivery_rate_bps = 96000000;
  i.rtt_us = 200300;
  i.total_retrans = 2;
  TraceSample s = trace_sample(i, 12.5);
  EXPECT_EQ(s.bytes_in_flight, 30u * 1448);
  EXPECT_EQ(trace_csv_header(), "t_ms,cwnd,bytes_in_flight,delivery_rate_bps,rtt_us,retrans\n");
  EXPECT_EQ(trace_csv_row(s), "12.500,40,43440,96000000,200300,2\n");
}

TEST(TraceFormat, GnuplotScriptQuotesPaths) {
  std::string gp = trace_gnuplot_script("/tmp/it's.csv", "/tmp/out.png", "t");
  EXPECT_NE(gp.find("set output '/tmp/out.png'"), std::string::npos);
  EXPECT_NE(gp.find("'/tmp/it''s.csv'"), std::string::npos);
  EXPECT_NE(gp.find("pngcairo"), std::string::npos);
}

TEST(Units, Human) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(4194304), "4.0 MiB");
  EXPECT_EQ(human_rate(96.5e6), "96.5 Mbit/s");
  EXPECT_EQ(human_ms(0.2003), "200.3 ms");
  EXPECT_EQ(human_ms(0.00005), "0.050 ms");
  EXPECT_EQ(round_up_pow2(5000000), 8388608u);
  EXPECT_EQ(round_up_pow2(1), 1u);
}
