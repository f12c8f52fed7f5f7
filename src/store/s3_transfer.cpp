#include "store/s3_transfer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace haul::store::s3io {
namespace {

// Bytes a pulled body may hold beyond the caller's buffer before the
// transfer pauses itself (libcurl hands over at most 16 KiB at a time).
constexpr size_t kSpillLimit = 64 * 1024;

std::string query_string(const Headers& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += haul::s3::uri_encode(name, false);
    if (!value.empty()) out += "=" + haul::s3::uri_encode(value, false);
  }
  return out;
}

}  // namespace

Transfer::Transfer(Handle& handle, const haul::s3::StoreUrl& url, const haul::s3::Credentials& credentials,
                   const ClientConfig& config, const Request& request, bool pull)
    : handle_(handle), op_(request.op), host_(url.host), max_body_(config.max_response_body), pull_(pull) {
  haul::s3::RequestTarget target = haul::s3::request_target(url, request.key);
  std::string date = haul::s3::amz_date(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  // UNSIGNED-PAYLOAD: bodies are ciphertext already authenticated by the
  // object format, hashing each part would cost a second pass over it, and
  // streamed GETs cannot be hashed up front. RGW and AWS accept it.
  haul::s3::SigningRequest signing{
      request.method,
      target.canonical_uri,
      request.query,
      {{"host", target.host}, {"x-amz-date", date}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}},
      "UNSIGNED-PAYLOAD"};
  if (!credentials.session_token.empty())
    signing.headers.emplace_back("x-amz-security-token", credentials.session_token);
  for (const auto& h : request.headers) signing.headers.push_back(h);
  haul::s3::SigningScope scope{date, url.region, "s3"};

  http_client::Options o;
  o.url = target.url + query_string(request.query);
  o.method = request.method;
  for (const auto& [name, value] : signing.headers) o.headers.push_back(name + ": " + value);
  o.headers.push_back("Authorization: " + haul::s3::authorization(credentials, scope, signing));
  if (request.method == "POST") o.headers.push_back("Content-Type: application/xml");
  o.body = request.body;  // PUT and POST; rewound when a dead reused connection needs a resend
  o.connect_timeout_ms = static_cast<long>(config.connect_timeout.count());
  o.tls.ca_file = url.ca_file;  // https endpoints: verified, against this CA when given
  if (pull || request.body.size() > (1u << 20)) {
    // Long bodies: no deadline for the whole, a floor on the rate instead.
    // libcurl skips the check while the transfer is paused (a slow reader of
    // a pulled body is the gateway's business, not the backend's).
    o.stall_seconds = static_cast<long>(config.stall_timeout.count());
  } else {
    o.timeout_ms = static_cast<long>(config.request_timeout.count());
  }
  handle_.exchange.prepare(o, *this);
  handle_.multi.add(handle_.exchange);
}

Transfer::~Transfer() {
  handle_.multi.remove(handle_.exchange);
}

bool Transfer::body_is_pulled() const {
  int status = handle_.exchange.head().status;
  return pull_ && status >= 200 && status < 300;
}

http_client::Handler::Take Transfer::on_body(const http_client::ResponseHead&, std::string_view data) {
  const size_t n = data.size();
  if (!body_is_pulled()) {
    if (response_.body.size() + n > max_body_) return Take::stop;  // fails the transfer
    response_.body.append(data);
    return Take::all;
  }
  if (discard_) {
    delivered_ += n;
    return Take::all;
  }
  size_t room = target_.size() - target_filled_;
  if (room == 0 && spill_.size() >= kSpillLimit) {
    // The caller's buffer is full and the spill too: libcurl keeps this
    // chunk and offers it again after resume().
    paused_ = true;
    return Take::pause;
  }
  size_t into = std::min(n, room);
  if (into > 0) std::memcpy(target_.data() + target_filled_, data.data(), into);  // (no target: null)
  target_filled_ += into;
  spill_.insert(spill_.end(), data.begin() + static_cast<std::ptrdiff_t>(into), data.end());
  delivered_ += n;
  return Take::all;
}

void Transfer::drive(const std::function<bool()>& until) {
  while (!ended_) {
    int running = 0;
    bool ok = handle_.multi.perform(running);
    if (ok && running == 0) {
      finish();
      return;
    }
    if (ok && until && until()) return;
    if (ok) ok = handle_.multi.poll(1000);
    if (!ok) {
      ended_ = true;
      outcome_ = {http_client::Failure::local, -1, handle_.multi.error(), handle_.multi.error()};
      return;
    }
  }
}

void Transfer::finish() {
  // Unless libcurl says how it ended: it ended with nothing.
  outcome_ = {http_client::Failure::transport, -1, "no result from libcurl", "no result from libcurl"};
  while (auto done = handle_.multi.next_done()) {
    if (done->exchange == &handle_.exchange) outcome_ = std::move(done->outcome);
  }
  ended_ = true;
}

void Transfer::take_head() {
  response_.status = handle_.exchange.head().status;
  response_.headers = handle_.exchange.head().headers;
}

void Transfer::run() {
  drive(nullptr);
  take_head();
}

void Transfer::run_to_headers() {
  drive([this] { return handle_.exchange.head().complete; });
  take_head();
}

void Transfer::resume() {
  if (!paused_) return;
  paused_ = false;  // before the call: it may run on_body, which may pause again
  handle_.exchange.resume();
}

size_t Transfer::read(std::span<uint8_t> out) {
  size_t done = std::min(out.size(), spill_.size());
  std::copy_n(spill_.begin(), done, out.begin());
  spill_.erase(spill_.begin(), spill_.begin() + static_cast<std::ptrdiff_t>(done));
  // Only with the spill empty may new bytes go straight into the caller's buffer.
  while (done < out.size() && spill_.empty() && !ended_) {
    target_ = out.subspan(done);
    target_filled_ = 0;
    resume();
    drive([this] { return target_filled_ == target_.size() || paused_; });
    done += target_filled_;
    target_ = {};
  }
  if (ended_ && outcome_.failure != http_client::Failure::none) throw_failure("while the body was read");
  return done;
}

bool Transfer::drain(uint64_t limit) {
  if (!ended_) {
    const std::string* length = response_.header("content-length");
    if (!length) return false;
    uint64_t expected = std::strtoull(length->c_str(), nullptr, 10);
    if (expected < delivered_ || expected - delivered_ > limit) return false;
    discard_ = true;
    spill_.clear();
    resume();
    drive(nullptr);
  }
  return outcome_.failure == http_client::Failure::none;
}

void Transfer::throw_failure(const std::string& when) const {
  // The backend's address and libcurl's own text (which names it) are for
  // the log only (Error's private detail); clients read libcurl's generic
  // description of the failure. Every failure of a backend request is the
  // backend's to the gateway's clients: a timeout is backend_timeout,
  // anything else (our bound on its answer included) backend_unavailable.
  std::string what = "S3 backend " + op_ + " failed " + when + ": " + outcome_.description;
  std::string detail = host_ + ": " + outcome_.detail;
  if (outcome_.failure == http_client::Failure::timeout) throw Error(ErrorKind::backend_timeout, what, detail);
  throw Error(ErrorKind::backend_unavailable, what, detail);
}

}  // namespace haul::store::s3io
