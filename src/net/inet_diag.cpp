#include "net/inet_diag.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "core/error.hpp"
#include "net/tcp_info_kernel.hpp"

namespace haul::net {

namespace {

constexpr size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}

void append(std::vector<uint8_t>& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

// Bytecode of "local port == P" or "local port == P || remote port == P",
// laid out as iproute2's ss compiles it (see inet_diag_bc_audit in the
// kernel: every op is reached through `yes`, `no` jumps forward).
std::vector<uint8_t> port_bytecode(uint16_t port, PortMatch match) {
  std::vector<uint8_t> bc;
  auto op = [&bc](uint8_t code, uint8_t yes, uint16_t no) {
    inet_diag_bc_op o{code, yes, no};
    append(bc, &o, sizeof o);
  };
  op(INET_DIAG_BC_S_EQ, 8, 12);
  op(0, 0, port);
  if (match == PortMatch::local_or_remote) {
    op(INET_DIAG_BC_JMP, 4, 12);  // S_EQ matched: jump past the D_EQ test, accept
    op(INET_DIAG_BC_D_EQ, 8, 12);
    op(0, 0, port);
  }
  return bc;
}

std::string addr_text(uint8_t family, const uint32_t* words) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET6) {
    inet_ntop(AF_INET6, words, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, words, buf, sizeof buf);
  }
  return buf;
}

[[noreturn]] void malformed(const char* what) {
  throw Error(ErrorKind::bad_request, std::string("sock_diag answer malformed: ") + what);
}

SocketEntry parse_diag_msg(const uint8_t* p, size_t len) {
  inet_diag_msg msg;
  if (len < sizeof msg) malformed("inet_diag_msg truncated");
  std::memcpy(&msg, p, sizeof msg);
  SocketEntry e;
  e.family = msg.idiag_family;
  e.state = msg.idiag_state;
  e.timer = msg.idiag_timer;
  e.expires_ms = msg.idiag_expires;
  e.recv_q = msg.idiag_rqueue;
  e.send_q = msg.idiag_wqueue;
  e.uid = msg.idiag_uid;
  e.inode = msg.idiag_inode;
  e.local_port = ntohs(msg.id.idiag_sport);
  e.remote_port = ntohs(msg.id.idiag_dport);
  e.local_addr = addr_text(e.family, msg.id.idiag_src);
  e.remote_addr = addr_text(e.family, msg.id.idiag_dst);

  // Attributes (struct rtattr: u16 len, u16 type), 4-byte aligned.
  size_t off = align4(sizeof msg);
  const uint8_t* info = nullptr;
  size_t info_len = 0;
  std::string cong;
  while (off + 4 <= len) {
    uint16_t alen = 0, type = 0;
    std::memcpy(&alen, p + off, 2);
    std::memcpy(&type, p + off + 2, 2);
    if (alen < 4 || off + alen > len) malformed("attribute length");
    const uint8_t* payload = p + off + 4;
    size_t plen = alen - 4u;
    if (type == INET_DIAG_INFO) {
      info = payload;
      info_len = plen;
    } else if (type == INET_DIAG_CONG) {
      cong.assign(reinterpret_cast<const char*>(payload), strnlen(reinterpret_cast<const char*>(payload), plen));
    }
    off += align4(alen);
  }
  if (info != nullptr) e.info = tcp_info_from_kernel(info, info_len, cong);
  return e;
}

}  // namespace

std::vector<uint8_t> build_diag_request(const DiagRequest& request) {
  inet_diag_req_v2 req;
  std::memset(&req, 0, sizeof req);
  req.sdiag_family = request.family;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = request.states;
  if (request.want_info) req.idiag_ext = (1u << (INET_DIAG_INFO - 1)) | (1u << (INET_DIAG_CONG - 1));

  std::vector<uint8_t> bc;
  if (request.port) bc = port_bytecode(*request.port, request.match);
  size_t attr_len = bc.empty() ? 0 : align4(4 + bc.size());

  nlmsghdr hdr;
  std::memset(&hdr, 0, sizeof hdr);
  hdr.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof req) + attr_len);
  hdr.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  hdr.nlmsg_seq = request.seq;

  std::vector<uint8_t> out;
  append(out, &hdr, sizeof hdr);
  out.resize(NLMSG_HDRLEN);
  append(out, &req, sizeof req);
  out.resize(NLMSG_LENGTH(sizeof req));
  if (!bc.empty()) {
    uint16_t alen = static_cast<uint16_t>(4 + bc.size());
    uint16_t type = INET_DIAG_REQ_BYTECODE;
    append(out, &alen, 2);
    append(out, &type, 2);
    append(out, bc.data(), bc.size());
    out.resize(hdr.nlmsg_len);
  }
  return out;
}

DiagBatch parse_diag_datagram(const uint8_t* data, size_t len) {
  DiagBatch batch;
  size_t off = 0;
  while (off < len) {
    nlmsghdr hdr;
    if (len - off < sizeof hdr) malformed("netlink header truncated");
    std::memcpy(&hdr, data + off, sizeof hdr);
    if (hdr.nlmsg_len < sizeof hdr || hdr.nlmsg_len > len - off) malformed("netlink message length");
    const uint8_t* payload = data + off + NLMSG_HDRLEN;
    size_t plen = hdr.nlmsg_len - NLMSG_HDRLEN;
    if (hdr.nlmsg_type == NLMSG_DONE) {
      batch.done = true;
      return batch;
    }
    if (hdr.nlmsg_type == NLMSG_ERROR) {
      int32_t err = 0;
      if (plen < sizeof err) malformed("nlmsgerr truncated");
      std::memcpy(&err, payload, sizeof err);
      if (err == 0) {  // an ACK, not an error
        off += align4(hdr.nlmsg_len);
        continue;
      }
      throw Error(ErrorKind::io, std::string("sock_diag: ") + std::strerror(-err));
    }
    if (hdr.nlmsg_type == SOCK_DIAG_BY_FAMILY) batch.entries.push_back(parse_diag_msg(payload, plen));
    off += align4(hdr.nlmsg_len);
  }
  return batch;
}

}  // namespace haul::net
