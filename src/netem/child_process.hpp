#pragma once
// Starting commands inside a namespace and ending them. fork + setns +
// exec: setns runs in the child only, so the relay's threads are untouched.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

namespace haul::netem {

struct ChildSpec {
  std::string netns_path;          // /run/netns/NAME
  std::vector<std::string> argv;   // argv[0] looked up on PATH
  std::vector<std::string> env;    // "KEY=VALUE" added to the inherited environment
  bool own_process_group = false;  // setpgid(0, 0): killable as a group
  sigset_t signal_mask{};          // mask the child starts with (exec keeps it)
};

// Starts the child; throws Error(io) when fork or the namespace fails.
// If exec fails, the child prints why and exits 127.
pid_t spawn_child(const ChildSpec& spec);

// Sends `sig` to the process group `pgid` (or the process, when not a group
// leader), waits up to `grace` for `pid` to exit, then SIGKILLs the group.
// Returns the wait status, or -1 if the child was already reaped.
int end_child(pid_t pid, bool whole_group, int sig, std::chrono::milliseconds grace);

// waitpid(WNOHANG): true and the status when `pid` has exited.
bool reap_if_exited(pid_t pid, int& status);

// Shell-style exit code for a wait status: the code, or 128 + signal.
int exit_code_of(int status);

}  // namespace haul::netem
