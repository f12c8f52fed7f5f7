#pragma once
// Reads what a libcurl connection negotiated from its OpenSSL object
// (CURLINFO_TLS_SSL_PTR). Only valid while the exchange's connection is in
// use, so Exchange calls it from its header callback.

#include <optional>

#include "http_client/handles.hpp"
#include "http_client/tls.hpp"

namespace haul::http_client {

// nullopt for a plain connection or a TLS backend other than OpenSSL.
std::optional<TlsConnection> read_tls_connection(Curl_easy* easy);

}  // namespace haul::http_client
