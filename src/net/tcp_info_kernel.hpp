#pragma once
// Converts the kernel's struct tcp_info, as bytes (the INET_DIAG_INFO
// attribute of a sock_diag answer), into TcpInfo. Sans-IO.

#include <cstddef>
#include <string>

#include "net/tcp_info.hpp"

namespace haul::net {

// Bytes shorter than today's struct (an older kernel) leave the missing
// fields 0; longer ones (a newer kernel) are cut. `congestion` is the
// INET_DIAG_CONG attribute, empty when absent.
TcpInfo tcp_info_from_kernel(const void* data, size_t len, std::string congestion);

}  // namespace haul::net
