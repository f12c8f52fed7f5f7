#pragma once
// Incremental SHA-256 (OpenSSL EVP) for the end-to-end checks.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace haul::client {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t len);
  // Lower-case hex digest; the object is reset afterwards.
  std::string hex_digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// SHA-256 of a whole file read through a 1 MiB buffer (pread from offset 0).
// Throws Error(io) when the file cannot be read.
std::string sha256_of_fd(int fd, uint64_t size);

}  // namespace haul::client
