#pragma once
// The process's open-file limit (RLIMIT_NOFILE). The gateway holds a socket
// and a store file per request, the client a file per transfer in flight
// (recursive put/get over HTTP/2 runs up to a thousand at once): both raise
// the soft limit to the hard one at start, as the limit exists to let them.

#include <utility>

namespace haul::net {

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns {soft, hard}
// after the change ({0, 0} when getrlimit fails). Syscalls.
std::pair<unsigned long, unsigned long> raise_nofile_limit();

}  // namespace haul::net
