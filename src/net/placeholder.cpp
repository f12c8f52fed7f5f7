namespace haul { int net_placeholder = 0; }
