#include "netem/forwarder.hpp"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "netem/sys_util.hpp"

namespace haul::netem {

namespace {

// Below this much time to the next due packet, spin instead of sleeping:
// a wake-up from ppoll can be tens of microseconds late.
constexpr Duration spin_window = std::chrono::microseconds(50);
// Larger than any packet a 1500-MTU TUN hands out, with room for MTU changes.
constexpr size_t read_buffer_size = 65536;
// Packets read per wake-up before due packets are written again.
constexpr int read_batch = 64;

void ask_for_realtime(const std::string& label, bool& realtime) {
  sched_param param{};
  param.sched_priority = 10;
  int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  realtime = rc == 0;
  if (!realtime)
    std::fprintf(stderr, "netem: %s forwarder runs at normal priority (SCHED_FIFO refused: %s)\n", label.c_str(),
                 std::strerror(rc));
  // A timer slack of 1 ns makes ppoll wake when asked (RT threads have none anyway).
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

}  // namespace

Forwarder::Forwarder(std::string label, int in_fd, int out_fd, const LinkConfig& config)
    : label_(std::move(label)),
      in_fd_(in_fd),
      out_fd_(out_fd),
      stop_fd_(eventfd(0, EFD_CLOEXEC)),
      link_(config),
      buffer_(read_buffer_size) {
  if (stop_fd_ < 0) throw Error(ErrorKind::io, errno_text("eventfd"));
}

Forwarder::~Forwarder() {
  stop();
  close(stop_fd_);
}

void Forwarder::start() {
  thread_ = std::thread([this] { run(); });
}

void Forwarder::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) std::perror("netem: eventfd write");
  thread_.join();
  stats_.link = link_.stats();
}

void Forwarder::read_available() {
  for (int i = 0; i < read_batch; ++i) {
    ssize_t n = read(in_fd_, buffer_.data(), buffer_.size());
    if (n < 0) return;  // EAGAIN: drained (other errors: retried at next wake-up)
    link_.push(Bytes(buffer_.begin(), buffer_.begin() + n), Clock::now());
  }
}

void Forwarder::write_due(Time now) {
  link_.pop_ready(now, ready_);
  while (!ready_.empty()) {
    TimedPacket& p = ready_.front();
    Time written = Clock::now();
    ssize_t n = write(out_fd_, p.bytes.data(), p.bytes.size());
    if (n != static_cast<ssize_t>(p.bytes.size())) ++stats_.write_errors;
    auto late = static_cast<uint64_t>(std::max<int64_t>(0, (written - p.due).count()));
    stats_.late_ns_total += late;
    stats_.late_ns_max = std::max(stats_.late_ns_max, late);
    if (late > 1'000'000) ++stats_.late_over_1ms;
    ready_.pop_front();
  }
}

void Forwarder::run() {
  ask_for_realtime(label_, stats_.realtime);
  pollfd fds[2] = {{in_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (!stopping_.load(std::memory_order_relaxed)) {
    read_available();
    Time now = Clock::now();
    write_due(now);
    auto due = link_.next_due();
    Duration wait = due ? *due - Clock::now() : Duration::max();
    if (due && wait <= spin_window) {
      // Spin: keep reading arrivals until the due time, without sleeping.
      continue;
    }
    timespec ts{};
    timespec* timeout = nullptr;
    if (due) {
      Duration sleep_for = wait - spin_window;
      ts.tv_sec = static_cast<time_t>(sleep_for.count() / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(sleep_for.count() % 1'000'000'000);
      timeout = &ts;
    }
    int rc = ppoll(fds, 2, timeout, nullptr);
    if (rc < 0 && errno != EINTR) {
      std::perror("netem: ppoll");
      return;
    }
    if (fds[1].revents & POLLIN) return;
  }
}

}  // namespace haul::netem
