#include "client/stream_placement.hpp"

#include <algorithm>
#include <utility>

namespace haul::client {

size_t place_stream(std::span<const StreamLoad> connections, bool gating, std::optional<size_t> last_gating) {
  if (gating && last_gating && *last_gating < connections.size() && connections[*last_gating].gating == 0)
    return *last_gating;
  const bool any_free =
      std::any_of(connections.begin(), connections.end(), [](const auto& c) { return c.gating == 0; });
  auto load = [&](const StreamLoad& c) { return std::pair(!gating && any_free && c.gating > 0, c.in_flight); };
  auto least = std::min_element(connections.begin(), connections.end(),
                                [&](const auto& a, const auto& b) { return load(a) < load(b); });
  return static_cast<size_t>(least - connections.begin());
}

}  // namespace haul::client
