#include "edge/h2_relay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/error.hpp"
#include "edge/h2_upstream.hpp"
#include "edge/upstream.hpp"

namespace haul::edge {

namespace {

using Clock = std::chrono::steady_clock;

// Response bytes handed to the local client at once.
constexpr size_t kResponsePiece = 256 * 1024;
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<uint64_t> content_length_of(const h2::HeaderList& fields) {
  for (const auto& [name, value] : fields) {
    if (name != "content-length") continue;
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && end == value.data() + value.size()) return length;
  }
  return std::nullopt;
}

// The response head as the strand saw it when the wait ended.
struct Head {
  int status = 0;
  h2::HeaderList fields;
  bool closed = false;
  uint32_t code = 0;
};

// Runs `fn` (a coroutine of the connection) on the connection's strand and
// resumes the caller on its own executor: nghttp2 is touched on the strand
// only, the local exchange on its connection's executor only.
template <class F>
auto on_strand(const std::shared_ptr<H2Upstream>& up, F fn) {
  return asio::co_spawn(up->executor(), std::move(fn), asio::use_awaitable);
}

// Resets the stream unless it has closed (a no-op then), whatever way the
// relay ends: an upload the gateway did not receive whole is discarded
// there, and a download nobody reads any more stops.
struct ResetOnExit {
  ResetOnExit(std::shared_ptr<H2Upstream> u, std::shared_ptr<H2Upstream::Stream> s)
      : up(std::move(u)), stream(std::move(s)) {}
  std::shared_ptr<H2Upstream> up;
  std::shared_ptr<H2Upstream::Stream> stream;
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() {
    if (!stream) return;
    asio::post(up->executor(), [up = up, stream = stream] { up->cancel(stream, h2::kCancel); });
  }
};

}  // namespace

asio::awaitable<H2RelayResult> relay_h2(std::shared_ptr<H2Upstream> up, gateway::Exchange& ex, const Fields& fields,
                                        std::string scheme, std::chrono::seconds timeout, UpstreamStats& stats) {
  H2RelayResult result;
  const gateway::Request& local = ex.request();
  const bool has_body = local.content_length ? *local.content_length > 0 : local.chunked;

  h2::H2RequestHead head;
  head.method = local.method;
  head.scheme = std::move(scheme);
  head.path = local.target;
  for (const auto& [name, value] : fields) {
    // Host becomes :authority (RFC 9113 8.3.1), byte for byte, so a SigV4
    // signature over it still verifies at the gateway.
    if (iequals(name, "host")) {
      head.authority = value;
      continue;
    }
    head.fields.emplace_back(name, value);
  }
  if (local.content_length) head.fields.emplace_back("content-length", std::to_string(*local.content_length));

  // Every awaitable and lambda is named before its co_await: GCC 12
  // mishandles a co_await whose expression also builds a capturing lambda.
  auto open_stream = [&]() -> asio::awaitable<std::shared_ptr<H2Upstream::Stream>> {
    co_return up->open(head, has_body, local.content_length.value_or(kResponsePiece));
  };
  auto stream = co_await on_strand(up, std::move(open_stream));
  if (!stream) {
    result.failure = "the gateway connection took no more streams";
    result.retryable = result.refused = true;
    co_return result;
  }
  const ResetOnExit guard(up, stream);

  bool body_consumed = false;
  if (has_body) {
    for (;;) {
      const auto piece = co_await ex.read_body();
      body_consumed = true;
      if (piece.empty()) {
        auto end = [&]() -> asio::awaitable<void> {
          up->end_body(stream);
          co_return;
        };
        co_await on_strand(up, std::move(end));
        break;
      }
      // Stops when the gateway answered early (401, 413) or the stream
      // broke: what it answered, if anything, is relayed below.
      auto sending = H2Upstream::send(up, stream.get(), piece.data(), piece.size(), H2Upstream::deadline_in(timeout));
      const bool more = co_await on_strand(up, std::move(sending));
      stats.bytes_up.fetch_add(piece.size(), std::memory_order_relaxed);
      if (!more) break;
    }
  }

  auto response = [&]() -> asio::awaitable<Head> {
    co_await H2Upstream::await_response(up, stream.get(), H2Upstream::deadline_in(timeout));
    co_return Head{stream->status, stream->fields, stream->closed, stream->code};
  };
  const Head got = co_await on_strand(up, std::move(response));
  if (got.status == 0) {
    if (got.closed && got.code == h2::kRefusedStream) {
      // Never processed (RFC 9113 8.7): any method may go again, but only
      // while none of the local body was consumed. The refusal comes a round
      // trip after the HEADERS, when body pieces may already have been read
      // from the local client and sent: a second attempt would carry the
      // body without them (a short upload, or a wrong object when chunked).
      result.failure = "the gateway refused the stream";
      result.refused = true;
      result.retryable = !body_consumed;
    } else if (got.closed) {
      result.failure = up->usable() ? "the gateway reset the stream before answering"
                                    : "the connection to the gateway was lost before an answer";
      // It may have acted on it: only an idempotent request whose body was
      // not consumed goes again (RFC 9110 9.2.2), as on HTTP/1.1.
      result.retryable = !body_consumed && idempotent(local.method);
    } else {
      result.failure = "no answer from the gateway within the body timeout";
    }
    co_return result;
  }

  Fields downstream = downstream_response_fields(Fields(got.fields.begin(), got.fields.end()));
  const auto length = content_length_of(got.fields);
  // The next piece of the answer's body; empty at its end. Throws when the
  // stream broke (after the status line: the local client sees a cut).
  const auto next_piece = [&]() -> asio::awaitable<std::vector<uint8_t>> {
    auto reading = H2Upstream::read(up, stream.get(), kResponsePiece, H2Upstream::deadline_in(timeout));
    auto piece = co_await on_strand(up, std::move(reading));
    if (piece.failure)
      throw Error(ErrorKind::backend_unavailable, "the gateway broke off the response: " + *piece.failure);
    stats.bytes_down.fetch_add(piece.bytes.size(), std::memory_order_relaxed);
    co_return std::move(piece.bytes);
  };
  if (local.method == "HEAD" || got.status == 204 || got.status == 304) {
    co_await ex.begin_body(got.status, std::move(downstream), length.value_or(0));
    co_await ex.end_body();
  } else if (length) {
    co_await ex.begin_body(got.status, std::move(downstream), *length);
    for (;;) {
      const auto piece = co_await next_piece();
      if (piece.empty()) break;
      co_await ex.write_body(piece);
    }
    co_await ex.end_body();
  } else {
    std::string body;
    for (;;) {
      const auto piece = co_await next_piece();
      if (piece.empty()) break;
      if (body.size() + piece.size() > kUnframedResponseLimit)
        throw Error(ErrorKind::backend_unavailable, "the gateway's unframed response is too large to relay");
      body.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    }
    co_await ex.respond(got.status, "", std::move(body), std::move(downstream));
  }
  co_return result;
}

}  // namespace haul::edge
