// Striped uploads: PUT /v1/objects/{key}?upload=U&stripe=i&stripes=K&size=N&sha256=H
// (docs/api.md "Stripes"). Stripe i of K carries bytes [i*S, min((i+1)*S, N))
// of the object, S from stripe_layout(N, K); it is sealed as segment i of the
// object under the header the upload's first stripe drew, stored as part
// i+1 of a store upload, and the request that stores the last stripe seals
// the trailer and completes the upload: 201 for it, 202 for the others.
#include <charconv>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/handlers.hpp"
#include "gateway/seal_pipeline.hpp"

namespace haul::gateway {

namespace {

struct StripeQuery {
  std::string upload;
  uint32_t stripe = 0;
  StripeLayout layout;
  std::string sha256_hex;
  std::array<uint8_t, 32> sha256{};
};

const std::string& query_value(const Route& route, const char* name) {
  auto it = route.query.find(name);
  if (it == route.query.end() || it->second.empty()) {
    throw Error(ErrorKind::bad_request, std::string("a stripe needs ?") + name + "=");
  }
  return it->second;
}

uint64_t query_number(const Route& route, const char* name) {
  const std::string& text = query_value(route, name);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorKind::bad_request, std::string("?") + name + "= must be a non-negative integer");
  }
  return value;
}

StripeQuery parse_stripe_query(const Route& route) {
  StripeQuery q;
  q.upload = query_value(route, "upload");
  const bool id_ok = q.upload.size() >= 8 && q.upload.size() <= 64 &&
                     std::all_of(q.upload.begin(), q.upload.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                     });
  if (!id_ok) throw Error(ErrorKind::bad_request, "?upload= must be 8..64 letters, digits, '-' or '_'");
  const uint64_t stripes = query_number(route, "stripes");
  if (stripes > kMaxStripes) {
    throw Error(ErrorKind::bad_request, "stripes must be at most " + std::to_string(kMaxStripes));
  }
  q.layout = stripe_layout(query_number(route, "size"), static_cast<uint32_t>(stripes));
  const uint64_t stripe = query_number(route, "stripe");
  if (stripe >= q.layout.count) {
    throw Error(ErrorKind::bad_request, "stripe " + std::to_string(stripe) + " of " + std::to_string(q.layout.count) +
                                            " (they count from 0)");
  }
  q.stripe = static_cast<uint32_t>(stripe);
  auto digest = from_hex(query_value(route, "sha256"));
  if (!digest || digest->size() != 32) throw Error(ErrorKind::bad_request, "?sha256= must be 64 hex digits");
  std::copy(digest->begin(), digest->end(), q.sha256.begin());
  q.sha256_hex = to_hex(*digest);
  return q;
}

// Uploads whose stripes never all arrived: their store uploads are aborted
// (best effort: the store's own expiry is the backstop).
asio::awaitable<void> abort_expired_stripes(GatewayContext& ctx, Exchange& ex) {
  auto expired = ctx.stripes.take_expired(std::chrono::steady_clock::now());
  if (expired.empty()) co_return;
  co_await ex.blocking([&] {
    for (const auto& upload : expired) {
      const std::string store_upload = upload->begun_store_upload();
      if (store_upload.empty()) continue;
      try {
        ctx.stores.at(upload->id.store)->abort_upload(store_upload, upload->id.key);
      } catch (const std::exception& e) {
        spdlog::warn("aborting expired striped upload {} of '{}': {}", upload->id.upload, upload->id.key, e.what());
      }
    }
  });
}

}  // namespace

asio::awaitable<void> handle_stripe(GatewayContext& ctx, Exchange& ex, const Route& route) {
  store::validate_key(route.key);
  const StripeQuery q = parse_stripe_query(route);
  const uint64_t expected = q.layout.length(q.stripe);
  const auto& length = ex.request().content_length;
  if (!length) throw Error(ErrorKind::length_required, "a stripe needs Content-Length");
  if (*length != expected) {
    throw Error(ErrorKind::bad_request, "stripe " + std::to_string(q.stripe) + " must be " + std::to_string(expected) +
                                            " bytes, got " + std::to_string(*length));
  }
  store::Store& store = pick_store(ctx, ex, route);
  co_await abort_expired_stripes(ctx, ex);

  const StripedUploadId id{store_name(ctx, ex, route), route.key, q.upload};
  const auto claim = ctx.stripes.claim(id, q.layout, q.sha256_hex, q.stripe, std::chrono::steady_clock::now(), [&] {
    // One segment per stripe, so a stripe is sealed on its own.
    auto header = crypto::encode_header(crypto::new_header(ctx.keys.newest(), static_cast<uint32_t>(q.layout.stripe_size)));
    return std::vector<uint8_t>(header.begin(), header.end());
  });
  StripedUpload& upload = *claim.upload;
  crypto::ObjectCipher cipher(ctx.keys, crypto::decode_header(upload.header));
  const crypto::Layout layout{cipher.header().segment_size};
  const bool last = q.stripe + 1 == q.layout.count;
  std::string store_upload;
  std::unique_ptr<SealPipeline> pipe;
  std::exception_ptr failure;
  SealResult result;
  try {
    co_await ex.blocking([&] {
      store_upload = upload.store_upload([&] { return store.begin_upload(route.key, upload.header); });
      auto writer = store.open_part(store_upload, route.key, q.stripe + 1, q.stripe * layout.sealed_segment_size());
      pipe = std::make_unique<SealPipeline>(cipher, std::move(writer), ctx.metrics,
                                            SealTarget{q.stripe, last, /*write_trailer=*/false});
    });
    result = co_await stream_body_into(ex, *pipe);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard_on_pool(ex, pipe);
  if (failure) {
    ctx.stripes.release(claim);
    std::rethrow_exception(failure);
  }
  const uint32_t stored = ctx.stripes.stored(claim);
  nlohmann::json answer = {{"key", route.key},
                           {"upload", q.upload},
                           {"stripe", q.stripe},
                           {"stripes", q.layout.count},
                           {"stored", stored},
                           {"stripe_sha256", to_hex(result.sha256)}};
  if (stored < q.layout.count) {
    co_await respond_json(ex, 202, answer.dump());
    co_return;
  }
  // Every stripe is stored and this request owns the upload now.
  try {
    co_await ex.blocking([&] {
      complete_sealed_upload(store, cipher, store_upload, route.key, q.layout.size, q.sha256, q.layout.count);
    });
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await ex.blocking([&] {
      try {
        store.abort_upload(store_upload, route.key);
      } catch (const std::exception& e) {
        spdlog::warn("aborting striped upload {} of '{}' after a failed completion: {}", q.upload, route.key, e.what());
      }
    });
    std::rethrow_exception(failure);
  }
  answer["size"] = q.layout.size;
  answer["sha256"] = q.sha256_hex;
  co_await respond_json(ex, 201, answer.dump());
}

}  // namespace haul::gateway
