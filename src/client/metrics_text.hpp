#pragma once
// Sans-IO: reads one sample out of Prometheus text exposition (the gateway's
// /metrics), e.g. haul_connections_accepted_total for bench's connection count.

#include <optional>
#include <string_view>

namespace haul::client {

// Value of the first sample whose name (with labels, if given) equals `name`
// exactly; nullopt when absent or unparsable. Comment lines are skipped.
std::optional<double> prometheus_value(std::string_view text, std::string_view name);

}  // namespace haul::client
