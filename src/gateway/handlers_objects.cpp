// PUT / GET / HEAD / DELETE of one object, and listing.
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/background_step.hpp"
#include "gateway/piece_size.hpp"
#include "gateway/gzip_body.hpp"
#include "gateway/handlers.hpp"
#include "gateway/open_pipeline.hpp"
#include "gateway/seal_pipeline.hpp"
#include "http/accept_encoding.hpp"

namespace haul::gateway {

std::string upload_answer(const std::string& key, const SealResult& r, std::chrono::steady_clock::time_point started) {
  const double total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json j = {{"key", key},
                      {"size", r.plain_size},
                      {"sha256", to_hex(r.sha256)},
                      {"timings", {{"encrypt_ms", r.encrypt_ms}, {"store_ms", r.store_ms}, {"total_ms", total_ms}}}};
  return j.dump();
}

// While the pool seals one piece, the next is read from the socket
// (background_step.hpp). The piece being sealed is a copy: read_body's view
// ends at the next read.
asio::awaitable<SealResult> stream_body_into(Exchange& ex, SealPipeline& pipe) {
  auto step = co_await BackgroundStep::make();
  std::vector<uint8_t> sealing;
  std::exception_ptr failure;
  try {
    for (;;) {
      auto chunk = co_await ex.read_body();
      co_await step.wait();
      if (chunk.empty()) break;
      sealing.assign(chunk.begin(), chunk.end());
      step.start(ex, [&] { pipe.write(sealing); });
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await step.settle();
    std::rethrow_exception(failure);
  }
  SealResult result;
  co_await ex.blocking([&] { result = pipe.commit(); });
  co_return result;
}

// Destroys a pipeline on the blocking pool: an uncommitted writer cleans up
// (unlink, or an S3 abort over the network), which must not stall an I/O thread.
asio::awaitable<void> discard_on_pool(Exchange& ex, std::unique_ptr<SealPipeline>& pipe) {
  if (pipe) co_await ex.blocking([&] { pipe.reset(); });
}

asio::awaitable<void> put_object(GatewayContext& ctx, Exchange& ex, store::Store& store,
                                 const crypto::ObjectIdentity& id) {
  const std::string& key = id.key;
  auto started = std::chrono::steady_clock::now();
  store::validate_key(key);
  const auto header = crypto::new_header(ctx.keys.newest());
  const auto header_bytes = crypto::encode_header(header);
  crypto::ObjectCipher cipher(ctx.keys, header, id);
  std::unique_ptr<SealPipeline> pipe;
  std::exception_ptr failure;
  SealResult result;
  try {
    co_await ex.blocking(
        [&] { pipe = std::make_unique<SealPipeline>(cipher, store.create(key, header_bytes), ctx.metrics); });
    result = co_await stream_body_into(ex, *pipe);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard_on_pool(ex, pipe);
  if (failure) std::rethrow_exception(failure);
  co_await respond_json(ex, 201, upload_answer(key, result, started));
}

// While one piece goes to the socket, the pool reads and decrypts the next
// (background_step.hpp; the opener keeps the piece being sent valid). Pieces
// grow while the client keeps up (piece_size.hpp).
static_assert(PieceSize::kSmall == kWholeReadLimit, "a small piece is one store read (open_pipeline.hpp)");
asio::awaitable<void> send_opened_body(Exchange& ex, ObjectOpener& opener) {
  auto step = co_await BackgroundStep::make();
  PieceSize size;
  std::span<const uint8_t> piece;
  co_await ex.blocking([&] { piece = opener.next(size.current()); });
  std::exception_ptr failure;
  try {
    while (!piece.empty()) {
      const auto sending = piece;
      step.start(ex, [&, want = size.current()] { piece = opener.next(want); });
      co_await ex.write_body(sending);
      size.written(step.running());
      co_await step.wait();
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await step.settle();
    std::rethrow_exception(failure);
  }
  co_await ex.end_body();
}

namespace {

// Sends what opener reads: each piece is one short step on the blocking pool
// (a store read and its decryption) and one asynchronous socket write, so a
// slow client holds this coroutine and the opener's buffers, never a thread.
asio::awaitable<void> send_object(Exchange& ex, ObjectOpener& opener) {
  ResponseStart r;
  co_await ex.blocking([&] { r = opener.open(); });
  if (r.status == 416) {
    nlohmann::json j = {{"error", "range_not_satisfiable"},
                        {"message", "range outside the object (" + std::to_string(r.object_size) + " bytes)"}};
    Headers headers{{"Content-Range", *r.content_range}};
    co_await respond_json(ex, 416, j.dump(), std::move(headers));
    co_return;
  }
  Headers h{{"Accept-Ranges", "bytes"}, {"ETag", r.etag}, {"Content-Type", "application/octet-stream"}};
  if (r.content_range) h.emplace_back("Content-Range", *r.content_range);
  // A small whole object's digest came with its one read: the client can
  // verify without a HEAD (many small files: half the streams).
  if (!r.sha256_hex.empty()) h.emplace_back("X-Haul-Sha256", r.sha256_hex);
  co_await ex.begin_body(r.status, std::move(h), r.content_length);
  co_await send_opened_body(ex, opener);
}

}  // namespace

asio::awaitable<void> get_object(GatewayContext& ctx, Exchange& ex, store::Store& store,
                                 const crypto::ObjectIdentity& id) {
  store::validate_key(id.key);
  auto opener = std::make_unique<ObjectOpener>(store, ctx.keys, ctx.metrics, ReadTarget{id, ctx.config.min_format},
                                               ex.request().header("range"));
  std::exception_ptr failure;
  try {
    co_await send_object(ex, *opener);
  } catch (...) {
    failure = std::current_exception();
  }
  // Closing the store reader may block (an S3 reader drains a short rest).
  co_await ex.blocking([&] { opener.reset(); });
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> head_object(GatewayContext& ctx, Exchange& ex, store::Store& store,
                                  const crypto::ObjectIdentity& id) {
  store::validate_key(id.key);
  ObjectSummary s;
  co_await ex.blocking([&] { s = summarize_object(store, ctx.keys, ReadTarget{id, ctx.config.min_format}); });
  // (g++ 12 rejects a braced list of string literals inside co_await.)
  Headers headers{{"Accept-Ranges", "bytes"}, {"ETag", s.etag}};
  // A format-3 trailer may carry no SHA-256 (an S3 multipart upload's).
  if (!s.sha256_hex.empty()) headers.emplace_back("X-Haul-Sha256", s.sha256_hex);
  headers.emplace_back("X-Haul-Format", std::to_string(s.format));
  headers.emplace_back("Content-Type", "application/octet-stream");
  co_await ex.begin_body(200, std::move(headers), s.size);
  co_await ex.end_body();
}

asio::awaitable<void> delete_object(Exchange& ex, store::Store& store, const std::string& key) {
  store::validate_key(key);
  co_await ex.blocking([&] { store.remove(key); });
  co_await ex.respond(204, "", "");
}

asio::awaitable<void> handle_object(GatewayContext& ctx, Exchange& ex, const Route& route) {
  store::Store& store = pick_store(ctx, ex, route);
  const auto id = object_identity(ctx, store_name(ctx, ex, route), route.key);
  const auto& method = ex.request().method;
  if (route.kind == RouteKind::seed_download) {
    if (route.key.empty()) throw Error(ErrorKind::bad_request, "missing ?key= for /download/files");
    if (method == "GET") co_return co_await get_object(ctx, ex, store, id);
    if (method == "HEAD") co_return co_await head_object(ctx, ex, store, id);
    method_not_allowed(method, "GET, HEAD");
  }
  if (method == "PUT" && route.query.contains("stripe")) co_return co_await handle_stripe(ctx, ex, route);
  if (method == "PUT") co_return co_await put_object(ctx, ex, store, id);
  if (method == "GET") co_return co_await get_object(ctx, ex, store, id);
  if (method == "HEAD") co_return co_await head_object(ctx, ex, store, id);
  if (method == "DELETE") co_return co_await delete_object(ex, store, route.key);
  method_not_allowed(method, "PUT, GET, HEAD, DELETE");
}

namespace {

// The plaintext size of a listed object. With its header (the fs store
// lists it) the size is exact. Without (an S3 store's listing has body sizes
// only), it is worked out for the layout the gateway writes (default
// segments, format 3), then format 1/2's trailer when that fits no object: an
// older object whose size fits both is listed 21 bytes short
// (docs/format.md, section 13); GET and HEAD read its header and are exact.
std::optional<uint64_t> listed_plain_size(const store::ListEntry& e) {
  if (!e.header.empty()) {
    try {
      return crypto::Layout::for_header(crypto::decode_header(e.header)).plain_size(e.body_size);
    } catch (const Error&) {
      return std::nullopt;  // a damaged header: listed as 0, GET says what is wrong
    }
  }
  const crypto::Layout layout{crypto::kDefaultSegmentSize, crypto::kTrailerSizeV3};
  const crypto::Layout older{crypto::kDefaultSegmentSize, crypto::kTrailerSizeV2};
  auto size = layout.plain_size(e.body_size);
  return size ? size : older.plain_size(e.body_size);
}

constexpr size_t kGzipListingFrom = 1024;  // bytes of JSON

std::string listing_json(const store::ListPage& page) {
  nlohmann::json objects = nlohmann::json::array();
  for (const auto& e : page.entries) {
    auto size = listed_plain_size(e);
    objects.push_back({{"key", e.key}, {"size", size ? *size : 0}, {"mtime", e.mtime_unix}});
  }
  nlohmann::json j = {{"objects", objects}};
  j["next_after"] = page.next_after ? nlohmann::json(*page.next_after) : nlohmann::json(nullptr);
  return j.dump() + "\n";
}

}  // namespace

asio::awaitable<void> handle_object_list(GatewayContext& ctx, Exchange& ex, const Route& route) {
  if (ex.request().method != "GET") method_not_allowed(ex.request().method, "GET");
  store::Store& store = pick_store(ctx, ex, route);
  auto get = [&](const char* name) {
    auto it = route.query.find(name);
    return it == route.query.end() ? std::string() : it->second;
  };
  size_t limit = 1000;
  if (auto text = get("limit"); !text.empty()) {
    try {
      limit = std::stoul(text);
    } catch (const std::exception&) {
      throw Error(ErrorKind::bad_request, "limit must be a number");
    }
    if (limit == 0 || limit > 10000) throw Error(ErrorKind::bad_request, "limit must be 1..10000");
  }
  std::string prefix = get("prefix");
  std::string after = get("after");
  const bool gzip = http::accepts_gzip(ex.request().header("accept-encoding"));
  std::string body;
  bool compressed = false;
  co_await ex.blocking([&] {
    body = listing_json(store.list(prefix, after, limit));
    // The keys under one prefix repeat it: 1000 of them are ~50 KB of JSON,
    // four initial windows of a fresh connection on a long link, and ~3 KB
    // in gzip (docs/api.md). Tiny pages are not worth the header.
    if (gzip && body.size() >= kGzipListingFrom) {
      body = gzip_body(body);
      compressed = true;
    }
  });
  Headers headers{{"Vary", "Accept-Encoding"}};
  if (compressed) headers.emplace_back("Content-Encoding", "gzip");
  co_await ex.respond(200, "application/json", body, std::move(headers));
}

}  // namespace haul::gateway
