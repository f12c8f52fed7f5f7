#pragma once
// Path checks of `haul doctor --gateway`, sans-IO: they read a PathResult
// (what the probe measured) and the local facts, and return Findings.

#include <vector>

#include "doctor/finding.hpp"
#include "doctor/local_checks.hpp"
#include "doctor/path_result.hpp"

namespace haul::doctor {

// Measured RTT and rate when both exist, else `fallback` (the reference).
PathModel path_model_from(const PathResult& path, const PathModel& fallback);

Finding check_path_rtt(const PathResult& path);
Finding check_path_bandwidth(const PathResult& path);
Finding check_path_bdp(const PathResult& path);
// One stream's ceiling: the smaller autotuning maximum (tcp_rmem/tcp_wmem) / 2 over the RTT.
Finding check_stream_cap(const PathResult& path, const LocalFacts& facts);
Finding check_path_retransmits(const PathResult& path, const LocalFacts& facts);
Finding check_path_fastopen(const PathResult& path, const LocalFacts& facts);
Finding check_path_options(const PathResult& path);
Finding check_gateway_view(const PathResult& path);

std::vector<Finding> run_path_checks(const PathResult& path, const LocalFacts& facts);

}  // namespace haul::doctor
