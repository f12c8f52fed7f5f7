#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "net/inet_diag.hpp"
#include "net/sock_diag.hpp"
#include "net/tcp_state.hpp"

using namespace haul;
using namespace haul::net;

namespace {

void put(std::vector<uint8_t>& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}
void pad4(std::vector<uint8_t>& out) {
  while (out.size() % 4) out.push_back(0);
}

// One SOCK_DIAG_BY_FAMILY message as the kernel writes it.
std::vector<uint8_t> diag_message(uint8_t state, uint16_t sport, uint16_t dport, uint32_t inode, bool with_info) {
  std::vector<uint8_t> body;
  inet_diag_msg msg;
  std::memset(&msg, 0, sizeof msg);
  msg.idiag_family = AF_INET;
  msg.idiag_state = state;
  msg.idiag_timer = state == tcp_time_wait ? 3 : 0;
  msg.idiag_expires = 1234;
  msg.id.idiag_sport = htons(sport);
  msg.id.idiag_dport = htons(dport);
  inet_pton(AF_INET, "127.0.0.1", &msg.id.idiag_src[0]);
  inet_pton(AF_INET, "10.1.2.3", &msg.id.idiag_dst[0]);
  msg.idiag_inode = inode;
  msg.idiag_uid = 1000;
  put(body, &msg, sizeof msg);
  if (with_info) {
    struct tcp_info ti;
    std::memset(&ti, 0, sizeof ti);
    ti.tcpi_state = state;
    ti.tcpi_snd_cwnd = 42;
    ti.tcpi_rtt = 200000;
    ti.tcpi_total_retrans = 7;
    ti.tcpi_options = TCPI_OPT_SACK | TCPI_OPT_WSCALE;
    uint16_t alen = static_cast<uint16_t>(4 + sizeof ti), type = INET_DIAG_INFO;
    put(body, &alen, 2);
    put(body, &type, 2);
    put(body, &ti, sizeof ti);
    pad4(body);
    const char cc[] = "cubic";
    alen = static_cast<uint16_t>(4 + sizeof cc);
    type = INET_DIAG_CONG;
    put(body, &alen, 2);
    put(body, &type, 2);
    put(body, cc, sizeof cc);
    pad4(body);
  }
  nlmsghdr hdr{};
  hdr.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + body.size());
  hdr.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  std::vector<uint8_t> out;
  put(out, &hdr, sizeof hdr);
  put(out, body.data(), body.size());
  return out;
}

std::vector<uint8_t> done_message() {
  nlmsghdr hdr{};
  hdr.nlmsg_len = NLMSG_HDRLEN + 4;
  hdr.nlmsg_type = NLMSG_DONE;
  std::vector<uint8_t> out;
  put(out, &hdr, sizeof hdr);
  int32_t zero = 0;
  put(out, &zero, 4);
  return out;
}

std::vector<uint8_t> sample_datagram() {
  auto a = diag_message(tcp_established, 8080, 40000, 99, true);
  auto b = diag_message(tcp_time_wait, 8080, 40001, 0, false);
  auto d = done_message();
  a.insert(a.end(), b.begin(), b.end());
  a.insert(a.end(), d.begin(), d.end());
  return a;
}

}  // namespace

TEST(InetDiagParse, EntriesInfoAndDone) {
  auto bytes = sample_datagram();
  DiagBatch batch = parse_diag_datagram(bytes.data(), bytes.size());
  ASSERT_TRUE(batch.done);
  ASSERT_EQ(batch.entries.size(), 2u);
  const SocketEntry& e = batch.entries[0];
  EXPECT_EQ(e.state, tcp_established);
  EXPECT_EQ(e.local_addr, "127.0.0.1");
  EXPECT_EQ(e.local_port, 8080);
  EXPECT_EQ(e.remote_addr, "10.1.2.3");
  EXPECT_EQ(e.remote_port, 40000);
  EXPECT_EQ(e.inode, 99u);
  EXPECT_EQ(e.uid, 1000u);
  ASSERT_TRUE(e.info.has_value());
  EXPECT_EQ(e.info->snd_cwnd, 42u);
  EXPECT_EQ(e.info->rtt_us, 200000u);
  EXPECT_EQ(e.info->total_retrans, 7u);
  EXPECT_TRUE(e.info->sack);
  EXPECT_TRUE(e.info->window_scaling);
  EXPECT_FALSE(e.info->timestamps);
  EXPECT_EQ(e.info->congestion, "cubic");
  EXPECT_EQ(batch.entries[1].state, tcp_time_wait);
  EXPECT_EQ(batch.entries[1].timer, 3);
  EXPECT_FALSE(batch.entries[1].info.has_value());
}

// Every truncation of a datagram is either a clean Error or a shorter, valid
// parse: never a crash or an over-read (ASan build).
TEST(InetDiagParse, EveryTruncationIsErrorOrPrefix) {
  auto bytes = sample_datagram();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    try {
      DiagBatch batch = parse_diag_datagram(part.data(), part.size());
      EXPECT_FALSE(batch.done) << cut;
      EXPECT_LE(batch.entries.size(), 2u);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_request) << cut;
    }
  }
}

TEST(InetDiagParse, KernelErrorIsIoError) {
  nlmsghdr hdr{};
  hdr.nlmsg_len = NLMSG_HDRLEN + sizeof(nlmsgerr);
  hdr.nlmsg_type = NLMSG_ERROR;
  nlmsgerr err{};
  err.error = -EPERM;
  std::vector<uint8_t> out;
  put(out, &hdr, sizeof hdr);
  put(out, &err, sizeof err);
  try {
    parse_diag_datagram(out.data(), out.size());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("not permitted"), std::string::npos);
  }
}

TEST(InetDiagRequest, PortFilterBytecode) {
  DiagRequest req;
  req.family = AF_INET6;
  req.port = 8080;
  req.match = PortMatch::local_or_remote;
  req.want_info = true;
  req.seq = 7;
  auto bytes = build_diag_request(req);
  nlmsghdr hdr;
  std::memcpy(&hdr, bytes.data(), sizeof hdr);
  EXPECT_EQ(hdr.nlmsg_len, bytes.size());
  EXPECT_EQ(hdr.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(hdr.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(hdr.nlmsg_seq, 7u);
  inet_diag_req_v2 r;
  std::memcpy(&r, bytes.data() + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.sdiag_family, AF_INET6);
  EXPECT_EQ(r.sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(r.idiag_ext, (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1)));
  size_t attr = NLMSG_LENGTH(sizeof r);
  uint16_t alen, type;
  std::memcpy(&alen, bytes.data() + attr, 2);
  std::memcpy(&type, bytes.data() + attr + 2, 2);
  EXPECT_EQ(type, INET_DIAG_REQ_BYTECODE);
  EXPECT_EQ(alen, 4 + 20);  // S_EQ, port, JMP, D_EQ, port
  inet_diag_bc_op ops[5];
  std::memcpy(ops, bytes.data() + attr + 4, sizeof ops);
  EXPECT_EQ(ops[0].code, INET_DIAG_BC_S_EQ);
  EXPECT_EQ(ops[1].no, 8080);
  EXPECT_EQ(ops[2].code, INET_DIAG_BC_JMP);
  EXPECT_EQ(ops[3].code, INET_DIAG_BC_D_EQ);
  EXPECT_EQ(ops[4].no, 8080);
}

// Against the real kernel: a listener with one pending connection on a
// loopback port shows up as listen 1 + established 1 on that port, and the
// client's end only when the remote port is matched too.
TEST(SockDiag, CountsRealLoopbackSockets) {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(lfd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  int cfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  auto counts = count_tcp_states(port);
  EXPECT_EQ(counts["listen"], 1u);
  EXPECT_EQ(counts["established"], 1u);
  EXPECT_EQ(counts["time_wait"], 0u);
  EXPECT_EQ(counts.count("close_wait"), 1u);

  SocketQuery q;
  q.port = port;
  q.match = PortMatch::local_or_remote;
  q.want_info = true;
  auto all = dump_tcp_sockets(q);
  EXPECT_EQ(all.size(), 3u);
  int with_info = 0;
  for (const auto& e : all)
    if (e.state == tcp_established && e.info) ++with_info;
  EXPECT_EQ(with_info, 2);
  ::close(cfd);
  ::close(lfd);
}
