#pragma once
// ALPN (RFC 7301) on the server side, sans-IO: the client's list as it is on
// the wire in, the protocol chosen out.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace haul::tls {

// offered: the client's ProtocolNameList (each name prefixed by its length
// byte). ours: the server's protocols, most preferred first. Returns the
// first of ours that the client offers, as a view into `offered`; nothing
// when none is offered or the list is malformed (an empty name, a length
// running past the end).
std::optional<std::string_view> select_alpn(std::span<const uint8_t> offered, std::span<const std::string> ours);

// A list of names in wire form (what a client sends; tests and clients).
std::vector<uint8_t> alpn_wire(std::span<const std::string> names);

}  // namespace haul::tls
