#pragma once
// What the client knows of the round trip to a gateway before it opens a
// connection, so a cold upload can decide on stripes (plan.hpp) without
// opening dozens of connections on a short path:
//
//   - the gateway is this host (loopback or one of its own addresses): short;
//   - a recent process measured it: a small cache file, one entry per gateway
//     URL, written after each command (paths.json in the cache directory);
//   - otherwise unknown: the upload probes with its first stripe (put_op.hpp).
//
// A wrong cached value costs speed once, never correctness: stripes still
// check each connection's own RTT, and the next run records the new value.

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace haul::client {

struct PathRecord {
  uint32_t rtt_us = 0;    // the path's minimum RTT as the kernel measured it
  int64_t seen_unix = 0;  // when it was measured
};
using PathRecords = std::map<std::string, PathRecord>;  // by gateway URL

// Entries older than this are ignored: paths change (a VPN, a new route).
inline constexpr int64_t kPathRecordMaxAgeSeconds = 7 * 24 * 3600;
// The file keeps at most this many gateways (the most recently seen).
inline constexpr size_t kPathRecordsKept = 64;

// Sans-IO: JSON text <-> records. Unparsable text or entries are skipped
// (the file is a cache: a damaged one is simply empty).
PathRecords parse_path_records(std::string_view text);
std::string render_path_records(const PathRecords& records);
// The record for gateway if present and fresh at `now`.
std::optional<uint32_t> fresh_rtt(const PathRecords& records, const std::string& gateway, int64_t now_unix);
// records with gateway's entry set and the oldest dropped beyond kPathRecordsKept.
void put_record(PathRecords& records, const std::string& gateway, PathRecord record);

// The cache file: $HAUL_CACHE_DIR/paths.json, else $XDG_CACHE_HOME/haul/, else
// $HOME/.cache/haul/; "" when none of them is set (nothing is cached).
std::string path_cache_file();

// The host part of a gateway URL ("http://[::1]:8080" -> "[::1]").
std::string gateway_host(std::string_view url);

// 0 for a gateway on this host, the cached RTT when fresh, else nullopt.
std::optional<uint32_t> recall_path_rtt(const std::string& gateway);
// Best effort (a read-only home is no error): read, update, write the cache
// file to a temp file and rename it over (mode 0600).
void remember_path_rtt(const std::string& gateway, uint32_t rtt_us);

}  // namespace haul::client
