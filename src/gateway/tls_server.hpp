#pragma once
// The gateway's TLS listener state: the SSL context new connections get,
// the session-ticket keys every context shares, and the TLS metrics.
//
// A reload (SIGHUP) builds a new context from the files and installs it:
// connections accepted afterwards use it; each connection keeps the context
// it started with (shared_ptr) until it closes, so nothing in flight is
// dropped. The ticket keys stay, so sessions resume across the reload.
// Thread-safe.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>

#include "gateway/tls_metrics.hpp"
#include "tls/server_context.hpp"
#include "tls/ticket_keys.hpp"

namespace haul::gateway {

class TlsServer {
 public:
  // A context built from the files, not yet serving.
  struct Loaded {
    std::shared_ptr<boost::asio::ssl::context> context;
    tls::CertificateInfo certificate;
  };

  // Loads and installs the first context. Throws Error(config).
  explicit TlsServer(tls::ServerFiles files);

  // The context for a connection accepted now.
  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Builds a context from the files as they are now. Throws Error(config)
  // naming the file and the problem; nothing changes then.
  Loaded load() const;
  void install(Loaded loaded);

  tls::CertificateInfo certificate() const;
  const tls::ServerFiles& files() const { return files_; }
  TlsMetrics& metrics() { return metrics_; }

 private:
  tls::ServerFiles files_;
  std::shared_ptr<tls::TicketKeys> keys_ = std::make_shared<tls::TicketKeys>();
  TlsMetrics metrics_;
  mutable std::mutex mutex_;
  Loaded current_;
};

}  // namespace haul::gateway
