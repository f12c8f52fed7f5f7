// Placeholder until the netem module lands.
namespace haul { int netem_placeholder = 0; }
