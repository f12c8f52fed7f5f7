#pragma once
// What the digest and KDF wrappers throw when an OpenSSL call fails: nothing
// a caller can fix (a missing algorithm, an allocation failure), so internal.

#include <string>

#include "core/error.hpp"

namespace haul::crypto {

[[noreturn]] inline void openssl_failed(const char* what) {
  throw Error(ErrorKind::internal, std::string(what) + " failed (OpenSSL)");
}

}  // namespace haul::crypto
