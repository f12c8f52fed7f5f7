// Throughput of the format on one core: encrypt (StreamEncryptor, SHA-256
// included) and decrypt (RangeDecryptor over a whole 16 MiB object, again and
// again), in GB/s of plaintext, by wall time and per CPU second.
// Usage: haul_crypto_bench [MiB=1024] [segment_size=65536]
// A timed loop, not a test: figures go to docs/benchmarks.md.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

using namespace haul::crypto;

namespace {

// CPU seconds of this process: on a shared machine wall time undercounts.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
  const uint32_t segment = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : kDefaultSegmentSize;
  const size_t chunk = 1 << 20;  // the caller's buffer, as a gateway would read from a socket
  const uint64_t total = mib << 20;
  auto ring = Keyring::parse(Keyring::generate_line(1));
  ObjectCipher cipher(ring, new_header(ring.newest(), segment), ObjectIdentity{"bench", "object"});
  std::vector<uint8_t> plain(chunk);
  for (size_t i = 0; i < chunk; ++i) plain[i] = static_cast<uint8_t>(i * 131);

  // Encrypt: out is drained after every update, as a writer would.
  using clock = std::chrono::steady_clock;
  std::vector<uint8_t> out, body_sample;
  out.reserve(chunk + 2 * (segment + kTagSize));
  StreamEncryptor enc(cipher);
  auto t0 = clock::now();
  double c0 = cpu_seconds();
  for (uint64_t done = 0; done < total; done += chunk) {
    enc.update(plain, out);
    if (body_sample.size() < chunk * 2) body_sample.insert(body_sample.end(), out.begin(), out.end());
    out.clear();
  }
  enc.finish(out);
  double enc_s = std::chrono::duration<double>(clock::now() - t0).count();
  double enc_cpu = cpu_seconds() - c0;

  // Decrypt: one 16 MiB object (cache-friendly, as the gateway decrypts 1 MiB
  // store reads), opened whole again and again until `total` bytes are out.
  const uint64_t object_size = uint64_t{16} << 20;
  std::vector<uint8_t> body;
  {
    StreamEncryptor e(cipher);
    for (uint64_t done = 0; done < object_size; done += chunk) e.update(plain, body);
    e.finish(body);
  }
  std::vector<uint8_t> plain_out;
  plain_out.reserve(chunk + segment);
  uint64_t dec_plain = 0;
  auto t1 = clock::now();
  double c1 = cpu_seconds();
  while (dec_plain < total) {
    RangeDecryptor dec(cipher, object_size, 0, object_size - 1);
    const uint64_t cover = dec.cover().body_length;
    for (uint64_t at = 0; at < cover; at += chunk) {
      dec.update(std::span<const uint8_t>(body).subspan(at, std::min<uint64_t>(chunk, cover - at)), plain_out);
      dec_plain += plain_out.size();
      plain_out.clear();
    }
    dec.finish();
  }
  double dec_s = std::chrono::duration<double>(clock::now() - t1).count();
  double dec_cpu = cpu_seconds() - c1;

  const double enc_bytes = static_cast<double>(total), dec_bytes = static_cast<double>(dec_plain);
  std::printf("segment %u B\n", segment);
  std::printf("encrypt %.0f MiB: %.2f GB/s wall (%.3f s), %.2f GB/s per CPU second (AES-256-GCM + SHA-256)\n",
              enc_bytes / (1 << 20), enc_bytes / enc_s / 1e9, enc_s, enc_bytes / enc_cpu / 1e9);
  std::printf(
      "decrypt %.0f MiB: %.2f GB/s wall (%.3f s), %.2f GB/s per CPU second (AES-256-GCM, whole 16 MiB objects)\n",
      dec_bytes / (1 << 20), dec_bytes / dec_s / 1e9, dec_s, dec_bytes / dec_cpu / 1e9);
  std::printf(
      "{\"segment\": %u, \"encrypt_gbps\": %.3f, \"encrypt_gbps_cpu\": %.3f, \"decrypt_gbps\": %.3f, "
      "\"decrypt_gbps_cpu\": %.3f}\n",
      segment, enc_bytes / enc_s / 1e9, enc_bytes / enc_cpu / 1e9, dec_bytes / dec_s / 1e9, dec_bytes / dec_cpu / 1e9);
  return 0;
}
