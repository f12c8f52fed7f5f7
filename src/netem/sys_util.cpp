#include "netem/sys_util.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

extern char** environ;

namespace haul::netem {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

namespace {

// Spawns argv with stdout to /dev/null and stderr to a pipe; returns the exit
// status (or -1 when it could not start) and what it wrote on stderr.
int spawn_and_wait(const std::vector<std::string>& argv, std::string& err_text) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(ErrorKind::io, errno_text("pipe"));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    err_text = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  char buf[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0 && err_text.size() < 4096) err_text.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

void run_checked(const std::vector<std::string>& argv) {
  std::string err;
  int status = spawn_and_wait(argv, err);
  if (status != 0) {
    while (!err.empty() && err.back() == '\n') err.pop_back();
    throw Error(ErrorKind::io, "'" + joined(argv) + "' failed" + (err.empty() ? "" : ": " + err));
  }
}

bool run_quiet(const std::vector<std::string>& argv) {
  std::string err;
  return spawn_and_wait(argv, err) == 0;
}

std::string read_small_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::io, errno_text("open " + path));
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(fd);
  if (n < 0) throw Error(ErrorKind::io, errno_text("read " + path));
  return text;
}

void write_small_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::io, errno_text("open " + path));
  ssize_t n = write(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  errno = saved;
  if (n != static_cast<ssize_t>(text.size())) throw Error(ErrorKind::io, errno_text("write '" + text + "' to " + path));
}

}  // namespace haul::netem
