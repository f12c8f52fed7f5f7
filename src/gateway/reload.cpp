#include "gateway/reload.hpp"

#include <fmt/chrono.h>

#include <ctime>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "gateway/forwarder.hpp"
#include "gateway/s3_state.hpp"
#include "gateway/tls_server.hpp"
#include "gateway/tokens.hpp"

namespace haul::gateway {

std::string describe_certificate(const tls::CertificateInfo& cert) {
  const auto not_after = static_cast<std::time_t>(cert.not_after);
  std::string text = fmt::format("{} (names:", cert.subject);
  for (const auto& name : cert.names) text += " " + name;
  text += fmt::format("), valid until {:%Y-%m-%d %H:%M:%S} UTC", fmt::gmtime(not_after));
  const auto now = std::time(nullptr);
  if (not_after < now) {
    text += ": EXPIRED, clients will refuse it";
  } else if (not_after - now < 14 * 86400) {
    text += fmt::format(": expires in {} days", (not_after - now) / 86400);
  }
  return text;
}

bool reload(GatewayContext& ctx, TlsServer* tls) {
  static std::mutex serial;
  std::lock_guard lock(serial);
  std::optional<TokenSet> tokens;
  std::optional<TlsServer::Loaded> loaded;
  std::optional<s3::S3Credentials> s3_keys;
  try {
    // Everything is loaded before anything is applied.
    tokens = TokenSet::load(ctx.config.token_file, "token file");
    if (tls) loaded = tls->load();
    if (ctx.s3) s3_keys = s3::S3Credentials::load(ctx.config.s3_credentials_file);
    // The edge's gateway token: loaded and applied in one step, last, so a
    // failure above leaves it as it was too.
    if (ctx.forwarder) ctx.forwarder->reload();
  } catch (const std::exception& e) {
    ctx.metrics.reloads_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("reload failed, the running configuration stays: {}", e.what());
    return false;
  }
  const size_t token_count = tokens->size();
  // Secrets first: no line written after the swap may show a new token.
  ctx.request_log.add_secrets(tokens->tokens());
  ctx.tokens.replace(std::move(*tokens));
  std::string s3_text;
  if (s3_keys) {
    s3_text = fmt::format(", {} S3 access keys", s3_keys->size());
    ctx.s3->replace(std::move(*s3_keys));
  }
  std::string certificate;
  if (tls) {
    certificate = ", TLS certificate " + describe_certificate(loaded->certificate);
    tls->install(std::move(*loaded));
  }
  ctx.metrics.reloads_done.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("reloaded: {} tokens{}{}", token_count, s3_text, certificate);
  return true;
}

}  // namespace haul::gateway
