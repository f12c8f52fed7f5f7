#pragma once
// Small system helpers for the relay: run a tool and check its status,
// read and write small /proc and /sys files. Failures throw haul::Error(io)
// naming what failed.

#include <string>
#include <vector>

namespace haul::netem {

// Runs argv[0] (found on PATH) with argv, waits, and throws Error(io) with
// its stderr when it exits non-zero. stdout is discarded.
void run_checked(const std::vector<std::string>& argv);

// Same, but returns false instead of throwing (for best-effort cleanup).
bool run_quiet(const std::vector<std::string>& argv);

std::string read_small_file(const std::string& path);                     // throws Error(io)
void write_small_file(const std::string& path, const std::string& text);  // throws Error(io)

// "Text: strerror(errno)".
std::string errno_text(const std::string& what);

}  // namespace haul::netem
