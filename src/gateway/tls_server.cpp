#include "gateway/tls_server.hpp"

#include "gateway/app_protocol.hpp"

namespace haul::gateway {

TlsServer::TlsServer(tls::ServerFiles files) : files_(std::move(files)) {
  install(load());
}

TlsServer::Loaded TlsServer::load() const {
  tls::ServerContext made = tls::make_server_context(files_, keys_, alpn_offer());
  // Asio's context takes the SSL_CTX over (and frees it with the last
  // reference: the sessions' SSL objects hold their own).
  auto context = std::make_shared<boost::asio::ssl::context>(made.ctx.release());
  return {std::move(context), std::move(made.certificate)};
}

void TlsServer::install(Loaded loaded) {
  metrics_.set_certificate_not_after(loaded.certificate.not_after);
  std::lock_guard lock(mutex_);
  current_ = std::move(loaded);
}

std::shared_ptr<boost::asio::ssl::context> TlsServer::current() const {
  std::lock_guard lock(mutex_);
  return current_.context;
}

tls::CertificateInfo TlsServer::certificate() const {
  std::lock_guard lock(mutex_);
  return current_.certificate;
}

}  // namespace haul::gateway
