#pragma once
// Runs a program without a shell (fork + execvp) and captures its output:
// used for `ip route get` and `gnuplot`. Arguments are passed as-is.

#include <string>
#include <vector>

namespace haul::net {

struct CommandResult {
  int status = -1;     // exit status; 127 when the program is not installed, -1 when it did not exit
  std::string output;  // stdout and stderr together, at most 64 KiB
};

CommandResult run_command(const std::vector<std::string>& argv);

}  // namespace haul::net
