#include "http_client/base_target.hpp"

#include "core/error.hpp"

namespace haul::http_client {

BaseTarget split_base_target(std::string_view target) {
  if (!target.starts_with(kUnixPrefix)) return {std::string(target), {}};
  std::string_view path = target.substr(kUnixPrefix.size());
  if (path.empty()) throw Error(ErrorKind::config, "unix: needs a socket path, e.g. unix:/run/haul/edge.sock");
  return {"http://localhost", std::string(path)};
}

}  // namespace haul::http_client
