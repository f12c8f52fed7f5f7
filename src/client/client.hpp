#pragma once
// libhaul's client API: what the `haul put|get|ls|rm` commands call. Every
// function runs on a caller-owned pool (a Pool, pool.hpp: one per gateway,
// reused by all calls of the process) and throws haul::Error with one readable line on failure.

#include <cstdint>
#include <functional>
#include <string>

#include "client/pool.hpp"
#include "client/report.hpp"
#include "client/tree.hpp"

namespace haul::client {

// Uploads a file (parts when it holds two parts or more). Warms the pool's
// other connections in parallel when parts will be used.
TransferStats put_file(RequestPool& pool, const std::string& path, const std::string& key);

// Downloads into `path` via a temp file renamed on success; "-" writes to stdout.
TransferStats get_file(RequestPool& pool, const std::string& key, const std::string& path);

struct ListEntry {
  std::string key;
  uint64_t size = 0;
  std::string mtime;  // as the gateway sent it
};
// Every object under prefix, following next_after pages.
void list_objects(RequestPool& pool, const std::string& prefix, const std::function<void(const ListEntry&)>& each);

void remove_object(RequestPool& pool, const std::string& key);

struct TreeResult {
  size_t succeeded = 0, failed = 0;
};
// Throws the first transfer's Error when any failed (after the running ones end).
TreeResult put_tree(RequestPool& pool, const std::string& dir, const std::string& prefix, const OnFinished& each);
TreeResult get_tree(RequestPool& pool, const std::string& prefix, const std::string& dir, const OnFinished& each);

// Progress bar on stderr (bytes, rate, ETA); call with done=true to end the line.
void draw_progress(const Progress& progress, double elapsed_s, bool done);

}  // namespace haul::client
