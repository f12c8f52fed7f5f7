namespace haul { int http_placeholder = 0; }
