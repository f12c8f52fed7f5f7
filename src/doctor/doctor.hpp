#pragma once
// `haul doctor`: reads the local settings, measures the path to a gateway
// when one is given, and returns every finding. The command (apps/haul/
// cmd_doctor.cpp) only parses flags and prints.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "doctor/finding.hpp"
#include "doctor/local_checks.hpp"
#include "doctor/path_result.hpp"
#include "http_client/tls.hpp"

namespace haul::doctor {

struct DoctorOptions {
  std::string gateway;  // empty: local checks only, against the reference path
  std::string token;
  uint64_t connections = 4096;
  std::optional<double> rtt_ms;      // reference path when no gateway (default 200 ms)
  std::optional<uint64_t> rate_bps;  // reference path rate (default 100 Mbit/s)
  uint64_t probe_bytes = 64ull << 20;
  int handshakes = 5;
  http_client::TlsOptions tls;  // https:// gateways: how their certificate is checked
  std::string edge;             // a running haul edge (its /metrics: edge_checks.hpp); empty: none
};

struct DoctorReport {
  bool root = false;
  PathModel model;
  std::optional<PathResult> path;
  std::vector<Finding> findings;
};

DoctorReport run_doctor(const DoctorOptions& options);

nlohmann::json doctor_report_json(const DoctorReport& report);

}  // namespace haul::doctor
