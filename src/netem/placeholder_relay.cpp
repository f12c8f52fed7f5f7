namespace haul::netem { int relay_placeholder = 0; }
