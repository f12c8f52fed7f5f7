#include "netem/child_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "core/error.hpp"
#include "netem/sys_util.hpp"

extern char** environ;

namespace haul::netem {

pid_t spawn_child(const ChildSpec& spec) {
  if (spec.argv.empty()) throw Error(ErrorKind::config, "empty command");
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls (the parent has threads).
  std::vector<char*> args;
  for (const auto& a : spec.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : spec.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int ns_fd = open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) throw Error(ErrorKind::io, errno_text("open " + spec.netns_path));
  pid_t pid = fork();
  if (pid < 0) {
    close(ns_fd);
    throw Error(ErrorKind::io, errno_text("fork"));
  }
  if (pid == 0) {
    if (spec.own_process_group) setpgid(0, 0);
    if (setns(ns_fd, CLONE_NEWNET) != 0) {
      const char msg[] = "netem: setns failed in child\n";
      (void)!write(2, msg, sizeof msg - 1);
      _exit(127);
    }
    sigprocmask(SIG_SETMASK, &spec.signal_mask, nullptr);
    execvpe(args[0], args.data(), envp.data());
    const char msg[] = "netem: cannot execute command: ";
    (void)!write(2, msg, sizeof msg - 1);
    (void)!write(2, args[0], std::strlen(args[0]));
    (void)!write(2, "\n", 1);
    _exit(127);
  }
  close(ns_fd);
  if (spec.own_process_group) setpgid(pid, pid);  // also in the parent: no race with a kill(-pid)
  return pid;
}

bool reap_if_exited(pid_t pid, int& status) {
  pid_t r;
  while ((r = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  return r == pid;
}

int end_child(pid_t pid, bool whole_group, int sig, std::chrono::milliseconds grace) {
  int status = 0;
  if (reap_if_exited(pid, status)) {
    if (whole_group) kill(-pid, SIGKILL);  // stragglers of the group
    return status;
  }
  pid_t target = whole_group ? -pid : pid;
  kill(target, sig);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap_if_exited(pid, status)) {
      if (whole_group) kill(-pid, SIGKILL);
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(target, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace haul::netem
