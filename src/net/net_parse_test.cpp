#include <gtest/gtest.h>

#include "net/proc_fds.hpp"
#include "net/route.hpp"
#include "net/sysctl.hpp"
#include "net/tcp_state.hpp"

using namespace haul::net;

TEST(Sysctl, ParseInts) {
  EXPECT_EQ(parse_sysctl_ints("4096\t131072\t6291456").value(), (std::vector<int64_t>{4096, 131072, 6291456}));
  EXPECT_EQ(parse_sysctl_ints("1").value(), (std::vector<int64_t>{1}));
  EXPECT_FALSE(parse_sysctl_ints("bbr"));
  EXPECT_FALSE(parse_sysctl_ints(""));
  EXPECT_FALSE(parse_sysctl_ints("12x 3"));
}

TEST(Sysctl, ReadsRealValuesAndRefusesPaths) {
  auto v = read_sysctl("net.ipv4.tcp_sack");
  ASSERT_TRUE(v.text.has_value());
  EXPECT_TRUE(parse_sysctl_ints(*v.text).has_value());
  EXPECT_FALSE(read_sysctl("net.ipv4.no_such_thing").text);
  EXPECT_EQ(read_sysctl("net.ipv4.no_such_thing").error, ENOENT);
  EXPECT_EQ(read_sysctl("../etc/passwd").error, EINVAL);
  EXPECT_EQ(read_sysctl("net/ipv4/tcp_sack").error, EINVAL);
}

TEST(ProcFds, SocketLink) {
  EXPECT_EQ(parse_socket_link("socket:[12345]"), 12345u);
  EXPECT_FALSE(parse_socket_link("pipe:[12345]"));
  EXPECT_FALSE(parse_socket_link("socket:[]"));
  EXPECT_FALSE(parse_socket_link("socket:[12a]"));
  EXPECT_FALSE(parse_socket_link("/dev/null"));
}

TEST(Route, ParseAndChange) {
  auto r = parse_route_line("default via 192.0.2.1 dev eth0 \n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->spec, "default via 192.0.2.1 dev eth0");
  EXPECT_FALSE(r->initcwnd);
  EXPECT_EQ(route_change_command(*r, 10), "ip route change default via 192.0.2.1 dev eth0 initcwnd 10");

  auto s = parse_route_line("10.0.0.0/8 dev tun0 scope link initcwnd lock 4 initrwnd 20");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->initcwnd, 4u);
  EXPECT_EQ(s->initrwnd, 20u);
  EXPECT_EQ(route_change_command(*s, 10), "ip route change 10.0.0.0/8 dev tun0 scope link initrwnd 20 initcwnd 10");
  EXPECT_FALSE(parse_route_line("   \n"));
}

TEST(Route, RefusesNonAddresses) {
  auto r = lookup_route("127.0.0.1; rm -rf /");
  EXPECT_FALSE(r.route);
  EXPECT_NE(r.error.find("not an IP address"), std::string::npos);
}

TEST(TcpState, Names) {
  EXPECT_EQ(tcp_state_name(tcp_close_wait), "close_wait");
  EXPECT_EQ(tcp_state_name(tcp_time_wait), "time_wait");
  EXPECT_EQ(tcp_state_name(200), "unknown");
  EXPECT_EQ(tcp_state_label(tcp_fin_wait2), "FIN_WAIT2");
  EXPECT_EQ(tcp_state_from_name("last_ack"), tcp_last_ack);
  EXPECT_FALSE(tcp_state_from_name("nope"));
}
