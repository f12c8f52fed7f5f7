// Throughput of the format on one core: encrypt (StreamEncryptor, SHA-256
// included) and decrypt (RangeDecryptor over the whole object), in GB/s.
// Usage: haul_crypto_bench [MiB=1024] [segment_size=65536]
// A timed loop, not a test: figures go to docs/benchmarks.md.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crypto/keyring.hpp"
#include "crypto/stream_format.hpp"

using namespace haul::crypto;

int main(int argc, char** argv) {
  const uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
  const uint32_t segment = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : kDefaultSegmentSize;
  const size_t chunk = 1 << 20;  // the caller's buffer, as a gateway would read from a socket
  const uint64_t total = mib << 20;
  auto ring = Keyring::parse(Keyring::generate_line(1));
  ObjectCipher cipher(ring, new_header(ring.newest(), segment));
  std::vector<uint8_t> plain(chunk);
  for (size_t i = 0; i < chunk; ++i) plain[i] = static_cast<uint8_t>(i * 131);

  // Encrypt: out is drained after every update, as a writer would.
  using clock = std::chrono::steady_clock;
  std::vector<uint8_t> out, body_sample;
  out.reserve(chunk + 2 * (segment + kTagSize));
  StreamEncryptor enc(cipher);
  auto t0 = clock::now();
  for (uint64_t done = 0; done < total; done += chunk) {
    enc.update(plain, out);
    if (body_sample.size() < chunk * 2) body_sample.insert(body_sample.end(), out.begin(), out.end());
    out.clear();
  }
  enc.finish(out);
  double enc_s = std::chrono::duration<double>(clock::now() - t0).count();

  // Decrypt: a body made of whole segments, fed repeatedly (every segment
  // must carry its own index, so build a fresh body of the right length once).
  Layout layout{segment};
  std::vector<uint8_t> body;
  {
    StreamEncryptor e(cipher);
    std::vector<uint8_t> o;
    for (uint64_t done = 0; done < total; done += chunk) {
      e.update(plain, o);
      body.insert(body.end(), o.begin(), o.end());
      o.clear();
      if (body.size() > (uint64_t{512} << 20)) break;  // cap memory: decrypt this prefix
    }
  }
  uint64_t segments = body.size() / layout.sealed_segment_size();
  uint64_t dec_plain = segments * segment;  // a prefix of whole, non-last segments
  body.resize(segments * layout.sealed_segment_size());
  RangeDecryptor dec(cipher, dec_plain + 1, 0, dec_plain - 1);  // last segment never reached
  std::vector<uint8_t> plain_out;
  plain_out.reserve(chunk + segment);
  auto t1 = clock::now();
  for (size_t at = 0; at < body.size(); at += chunk) {
    dec.update(std::span<const uint8_t>(body).subspan(at, std::min(chunk, body.size() - at)), plain_out);
    plain_out.clear();
  }
  double dec_s = std::chrono::duration<double>(clock::now() - t1).count();

  std::printf("segment %u B\nencrypt %.0f MiB in %.3f s: %.2f GB/s (AES-256-GCM + SHA-256)\n", segment,
              static_cast<double>(mib), enc_s, static_cast<double>(total) / enc_s / 1e9);
  std::printf("decrypt %.0f MiB in %.3f s: %.2f GB/s (AES-256-GCM)\n", static_cast<double>(dec_plain) / (1 << 20),
              dec_s, static_cast<double>(dec_plain) / dec_s / 1e9);
  std::printf("{\"segment\": %u, \"encrypt_gbps\": %.3f, \"decrypt_gbps\": %.3f}\n", segment,
              static_cast<double>(total) / enc_s / 1e9, static_cast<double>(dec_plain) / dec_s / 1e9);
  return 0;
}
