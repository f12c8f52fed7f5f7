#pragma once
// The TLS flags of every command that talks to a gateway (put, get, ls, rm,
// bench, doctor): one wording, one environment variable, one check.

#include <CLI/CLI.hpp>
#include <string>

#include "http_client/tls.hpp"

namespace haul::app {

// --cacert, --pin-sha256, --insecure into `tls`.
void add_tls_flags(CLI::App* cmd, http_client::TlsOptions& tls);

// After parsing: HAUL_CACERT when --cacert is absent, the flags validated
// (Error(config) with one line), and a warning on stderr when --insecure
// applies to an https:// `gateway`.
void finish_tls_flags(http_client::TlsOptions& tls, const std::string& gateway);

}  // namespace haul::app
