#pragma once
// The client's cache directory and its small files (paths.json,
// tls_sessions.json): found the same way, read whole, written whole. A
// cache is best effort: a missing or unreadable file reads as empty, a
// failed write is dropped, and neither is ever an error of the command.

#include <optional>
#include <string>

namespace haul::client {

// $HAUL_CACHE_DIR/NAME, else $XDG_CACHE_HOME/haul/NAME, else
// $HOME/.cache/haul/NAME; "" when none of them is set (nothing is cached).
std::string cache_file(const std::string& name);

// The file's bytes; nullopt when it cannot be read.
std::optional<std::string> read_cache_file(const std::string& file);

// Creates the directory (0700) when missing, writes `text` to a temp file of
// this process (mode 0600) and renames it over `file`: another haul process
// writing at the same time makes one of the two writes win, never a torn
// file. False when any step failed (nothing is left behind).
bool write_cache_file(const std::string& file, const std::string& text);

}  // namespace haul::client
