#include "gateway/s3_object_info.hpp"

#include "core/error.hpp"
#include "core/hex.hpp"
#include "gateway/handlers.hpp"
#include "gateway/s3_state.hpp"

namespace haul::gateway {

std::string md5_etag(const std::array<uint8_t, 16>& md5, uint32_t parts) {
  std::string tag = to_hex(std::span<const uint8_t>(md5.data(), md5.size()));
  if (parts > 0) tag += "-" + std::to_string(parts);
  return tag;
}

std::string s3_etag(const ObjectSummary& s) {
  if (s.md5) return "\"" + md5_etag(*s.md5, s.etag_parts) + "\"";
  if (s.sha256_hex.size() >= 32) return "\"" + s.sha256_hex.substr(0, 32) + "-1\"";
  return s.etag;  // neither digest: the native, salt-derived tag
}

std::string quoted_md5(const std::array<uint8_t, 16>& md5) {
  return "\"" + md5_etag(md5) + "\"";
}

std::string unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::optional<S3ObjectInfo> s3_object_info(GatewayContext& ctx, const std::string& store_key) {
  store::Store& store = *ctx.stores.at(ctx.default_store);
  ObjectSummary s;
  try {
    s = summarize_object(store, ctx.keys,
                         ReadTarget{object_identity(ctx, ctx.default_store, store_key), ctx.config.min_format});
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return std::nullopt;
    throw;
  }
  S3ObjectInfo info;
  info.size = s.size;
  info.mtime_unix = s.mtime_unix;
  info.etag = s3_etag(s);
  info.native_etag = s.etag;
  info.metadata = std::move(s.metadata);
  ctx.s3->remember_etag(store_key, info.native_etag, info.etag);
  return info;
}

}  // namespace haul::gateway
