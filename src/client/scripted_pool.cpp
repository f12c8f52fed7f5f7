#include "client/scripted_pool.hpp"

#include <algorithm>

#include "client/outcome.hpp"
#include "client/path_rtt.hpp"
#include "crypto/sha256.hpp"

namespace haul::client::testing {

std::string sha256_hex(const std::string& bytes) {
  crypto::Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.hex_digest();
}

void StringSink::write_at(uint64_t offset, const char* data, size_t len) {
  if (bytes.size() < offset + len) bytes.resize(offset + len);
  std::copy_n(data, len, bytes.begin() + static_cast<std::ptrdiff_t>(offset));
}

std::optional<std::string> StringSink::sha256_of_written(uint64_t size) {
  return sha256_hex(bytes.substr(0, std::min<uint64_t>(size, bytes.size())));
}

Answer object_answer(const Request& r, const std::string& object, const std::string& etag) {
  Answer a;
  a.headers = {{"etag", etag}};
  if (r.method == "HEAD") {
    a.headers.emplace_back("content-length", std::to_string(object.size()));
    a.headers.emplace_back("x-haul-sha256", sha256_hex(object));
    return a;
  }
  std::string range;
  for (const auto& h : r.headers)
    if (h.starts_with("Range: bytes=")) range = h.substr(13);
  // Like the gateway's: a small object answered whole carries its digest
  // (its one store read held the trailer; open_pipeline.hpp).
  const bool small = object.size() <= kSmallWholeAnswer;
  if (range.empty()) {
    a.headers.emplace_back("content-length", std::to_string(object.size()));
    if (small) a.headers.emplace_back("x-haul-sha256", sha256_hex(object));
    a.body = object;
    return a;
  }
  const uint64_t first = std::stoull(range.substr(0, range.find('-')));
  uint64_t last = std::stoull(range.substr(range.find('-') + 1));
  if (first >= object.size()) {
    a.status = 416;  // like the gateway's: the size, no ETag
    a.headers = {{"content-range", "bytes */" + std::to_string(object.size())}};
    a.body = R"({"error":"range_not_satisfiable"})";
    return a;
  }
  last = std::min<uint64_t>(last, object.size() - 1);
  a.status = 206;
  a.headers.emplace_back("content-range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                              std::to_string(object.size()));
  a.body = object.substr(first, last - first + 1);
  if (small && first == 0 && last + 1 == object.size()) a.headers.emplace_back("x-haul-sha256", sha256_hex(object));
  return a;
}

ScriptedPool::~ScriptedPool() = default;

size_t ScriptedPool::count(const std::string& method, const std::string& path_prefix) const {
  return static_cast<size_t>(std::count_if(sent_.begin(), sent_.end(), [&](const Sent& s) {
    return s.method == method && s.path.compare(0, path_prefix.size(), path_prefix) == 0;
  }));
}

std::optional<net::TcpInfo> ScriptedPool::connection_info() const {
  if (!rtt_us_) return std::nullopt;
  net::TcpInfo info;
  info.rtt_us = *rtt_us_;
  info.min_rtt_us = *rtt_us_;
  return info;
}

bool ScriptedPool::Gate::before_request(Request& r, int) {
  return admit(r, pool_.connection_info(), pool_.path_);
}

void ScriptedPool::start(std::unique_ptr<Request> r) {
  Sent s;
  s.method = r->method;
  s.path = r->path;
  s.headers = r->headers;
  s.attempt = r->attempt;
  s.min_rtt_us = r->min_rtt_us;
  s.answered_before = answered_;
  sent_.push_back(std::move(s));
  queue_.push_back({std::move(r), sent_.size() - 1});
  most_in_flight_ = std::max(most_in_flight_, queue_.size());
}

std::vector<std::unique_ptr<Request>> ScriptedPool::collect() {
  std::vector<std::unique_ptr<Request>> ended;
  for (size_t n = 0; n < per_round_ && !queue_.empty(); ++n) {
    // The oldest (or newest) not held; a held one once only held ones wait.
    auto pick = queue_.end();
    for (size_t i = 0; i < queue_.size() && pick == queue_.end(); ++i) {
      auto at = newest_first_ ? queue_.end() - 1 - static_cast<std::ptrdiff_t>(i)
                              : queue_.begin() + static_cast<std::ptrdiff_t>(i);
      if (!held_ || !held_(*at->request)) pick = at;
    }
    if (pick == queue_.end()) pick = newest_first_ ? queue_.end() - 1 : queue_.begin();
    Started next = std::move(*pick);
    queue_.erase(pick);
    ended.push_back(answer(std::move(next)));
  }
  if (interrupt_after_ && answered_ >= *interrupt_after_) {
    interrupt_flag().store(true);
    interrupt_after_.reset();
  }
  return ended;
}

std::vector<std::unique_ptr<Request>> ScriptedPool::cancel_all() {
  std::vector<std::unique_ptr<Request>> cancelled;
  for (auto& s : queue_) {
    sent_[s.index].cancelled = true;
    cancelled.push_back(std::move(s.request));
  }
  queue_.clear();
  return cancelled;
}

std::unique_ptr<Request> ScriptedPool::answer(Started started) {
  Request& r = *started.request;
  Sent& sent = sent_[started.index];
  sent.answered_as = ++answered_;
  RequestTransfer transfer(r, progress_, &gate_);
  http_client::ResponseHead head;
  http_client::Outcome outcome;
  auto local = [&outcome](const char* what) { outcome = {http_client::Failure::local, -1, what, what}; };
  if (!transfer.before_send(0)) {
    sent.declined = true;
    r.connections_opened = 1;  // the connection was opened, then left unused
    local("declined");
  } else {
    std::string body = r.post_body;
    if (r.method == "PUT") {
      std::array<char, 16384> buf;
      for (;;) {
        auto n = transfer.read_body(buf);
        if (!n) {
          local("read aborted");
          break;
        }
        if (*n == 0) break;
        body.append(buf.data(), *n);
      }
    }
    sent.body = body;
    if (outcome.failure == http_client::Failure::none) {
      Answer a = script_(r, body);
      r.connections_opened = a.connections_opened;
      if (a.failure != http_client::Failure::none) {
        const std::string what = "scripted " + std::string(http_client::failure_name(a.failure)) + " failure";
        outcome = {a.failure, -1, what, what};
      } else {
        head.status = a.status;
        head.headers = a.headers;
        head.complete = true;
        std::string_view rest = r.method == "HEAD" ? std::string_view() : std::string_view(a.body);
        while (!rest.empty()) {
          std::string_view piece = rest.substr(0, 16384);  // libcurl's largest piece
          rest.remove_prefix(piece.size());
          if (transfer.on_body(head, piece) != http_client::Handler::Take::all) {
            local("write aborted");
            break;
          }
        }
      }
    }
    r.tcp = connection_info();
  }
  r.status = head.status;
  r.response_headers = head.headers;
  transfer.finish();
  record_outcome(r, outcome, transfer.local_error(), config_.gateway);
  return std::move(started.request);
}

}  // namespace haul::client::testing
