namespace haul { int gateway_placeholder = 0; }
