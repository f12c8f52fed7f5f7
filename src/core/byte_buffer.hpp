#pragma once
// ByteBuffer: a std::vector of bytes whose resize() leaves the new bytes
// uninitialized instead of zeroing them.
//
// Why: the gateway's hot paths grow a buffer and let AES-GCM write every new
// byte (a segment decrypted in place, a segment sealed at the end of the
// output). With std::vector each resize() first zero-filled those bytes: 3-8 %
// of the gateway's CPU samples during a 1 GiB GET on loopback (`perf record`,
// memset; 256 KiB or 1 MiB pieces), for bytes overwritten a moment later. Only for buffers whose new
// bytes are written before anything reads them.

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace haul {

// std::allocator whose value-initialization (what resize(n) asks for) is
// default-initialization: nothing, for a byte. Copies and explicit values
// (resize(n, v), insert) construct as usual.
template <class T>
class UninitializedAllocator : public std::allocator<T> {
 public:
  using value_type = T;
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() noexcept = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>& /*other*/) noexcept {}

  template <class U>
  void construct(U* at) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(at)) U;
  }
  template <class U, class... Args>
  void construct(U* at, Args&&... args) {
    ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
  }
};

using ByteBuffer = std::vector<uint8_t, UninitializedAllocator<uint8_t>>;

}  // namespace haul
