// Placeholder until the client module lands.
namespace haul { int client_placeholder = 0; }
