#include "gateway/reseal.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/open_pipeline.hpp"

namespace haul::gateway {

namespace {

// Hand the store about 1 MiB at a time, as the gateway's uploads do.
constexpr size_t kFlushBytes = 1024 * 1024;
constexpr size_t kListPage = 1000;

// Thrown inside the read when the object turns out to be another version
// than the one decided on; becomes ResealOutcome::changed.
struct ChangedMeanwhile {
  std::string why;
};

// True when the object's trailer authenticates as sealed for `store_id`.
bool sealed_for(store::Store& store, const crypto::Keyring& keys, const std::string& store_id, const std::string& key) {
  try {
    summarize_object(store, keys, ReadTarget{{store_id, key}, crypto::kFormatVersion2});
    return true;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::integrity) throw;
    return false;
  }
}

// The id a format-2/3 object is sealed for: options.store_id, or, for a
// renamed store, from_store_id unless the object was re-sealed already (an
// earlier, interrupted run).
std::string sealed_id(store::Store& store, const crypto::Keyring& keys, const ResealOptions& options,
                      const std::string& key) {
  const std::string& from = options.from_store_id;
  if (from.empty() || from == options.store_id || sealed_for(store, keys, options.store_id, key)) {
    return options.store_id;
  }
  return from;
}

// The same stored version: a new PUT always draws a new header (fresh salt).
void expect_same_version(const store::ObjectHead& seen, const store::ObjectHead& now) {
  if (now.header != seen.header || now.body_size != seen.body_size) {
    throw ChangedMeanwhile{"written by someone else meanwhile"};
  }
}

// The last `n` bytes of a stream, whatever its chunking.
class Tail {
 public:
  explicit Tail(size_t n) : n_(n) {}
  void add(std::span<const uint8_t> bytes) {
    if (bytes.size() >= n_) {
      bytes_.assign(bytes.end() - static_cast<ptrdiff_t>(n_), bytes.end());
      return;
    }
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    if (bytes_.size() > n_) bytes_.erase(bytes_.begin(), bytes_.end() - static_cast<ptrdiff_t>(n_));
  }
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  size_t n_;
  std::vector<uint8_t> bytes_;
};

// Decrypts the stored version `seen` as sealed for `from` and writes it
// re-sealed for `id` under a fresh format-3 header (the old header's
// metadata, if any, carried over); commits only when the content
// authenticated end to end (every segment, the trailer, its size and
// digests) and the stored version is still `seen`. Throws Error or
// ChangedMeanwhile.
void reseal_version(store::Store& store, const crypto::Keyring& keys, const crypto::ObjectIdentity& from,
                    const crypto::ObjectIdentity& id, const store::ObjectHead& seen, const crypto::Header& old_header) {
  crypto::ObjectCipher old_cipher(keys, old_header, from);
  const crypto::Layout layout = old_cipher.layout();
  const auto size = layout.plain_size(seen.body_size);
  if (!size) throw Error(ErrorKind::integrity, "stored object has an impossible length");
  crypto::RangeDecryptor decryptor(old_cipher, *size, 0, *size == 0 ? 0 : *size - 1);

  const auto fresh = crypto::new_header(keys.newest(), crypto::kDefaultSegmentSize, old_header.metadata);
  crypto::ObjectCipher new_cipher(keys, fresh, id);
  crypto::StreamEncryptor encryptor(new_cipher);
  // A format-3 trailer may hold an MD5 (the S3 ETag) to check and keep.
  const bool old_v3 = old_header.version >= crypto::kFormatVersion3;
  if (old_v3) encryptor.compute_md5();
  auto writer = store.create(id.key, crypto::encode_header(fresh));  // discarded unless committed

  std::vector<uint8_t> plain, sealed;
  Tail trailer(layout.trailer_size);
  store.read(
      id.key, store::BodyRange{}, [&](const store::ObjectHead& head) { expect_same_version(seen, head); },
      [&](std::span<const uint8_t> bytes) {
        trailer.add(bytes);
        plain.clear();
        decryptor.update(bytes, plain);  // bytes past the last segment (the trailer) are ignored
        encryptor.update(plain, sealed);
        if (sealed.size() >= kFlushBytes) {
          writer->write(sealed);
          sealed.clear();
        }
        return true;
      });
  decryptor.finish();
  auto contents = old_cipher.open_trailer(trailer.bytes());
  if (!contents || contents->plain_size != *size) {
    throw Error(ErrorKind::integrity, "stored object failed authentication (trailer)");
  }
  // A format-3 trailer is kept as it was (which digests it has, an S3
  // multipart ETag), once checked below; older ones become SHA-256 only.
  if (old_v3) encryptor.set_object_totals(*contents);
  encryptor.finish(sealed);
  writer->write(sealed);
  // A parts upload's trailer carries the digest its client declared: keep
  // such an object as it is rather than seal a different digest.
  if (contents->sha256 && *contents->sha256 != encryptor.sha256()) {
    throw Error(ErrorKind::integrity, "the trailer's SHA-256 is not the SHA-256 of the content");
  }
  if (contents->md5 && contents->etag_parts == 0 && contents->md5 != encryptor.md5()) {
    throw Error(ErrorKind::integrity, "the trailer's MD5 is not the MD5 of the content");
  }
  expect_same_version(seen, store.head(id.key));
  writer->commit();
}

}  // namespace

ResealResult reseal_object(store::Store& store, const crypto::Keyring& keys, const ResealOptions& options,
                           const std::string& key) {
  ResealResult r;
  try {
    const store::ObjectHead seen = store.head(key);
    const crypto::Header header = crypto::decode_header(seen.header);
    r.from_format = header.version;
    r.from_key_id = header.key_id;
    const bool v1 = header.version < crypto::kFormatVersion2;
    const std::string from = v1 ? options.store_id : sealed_id(store, keys, options, key);
    const bool old_key = options.rotate && header.key_id != keys.newest().id;
    if (!v1 && !old_key && from == options.store_id) {
      r.outcome = ResealOutcome::current;
      return r;
    }
    if (!options.dry_run) reseal_version(store, keys, {from, key}, {options.store_id, key}, seen, header);
    r.outcome = ResealOutcome::resealed;
  } catch (const ChangedMeanwhile& c) {
    r.outcome = ResealOutcome::changed;
    r.detail = c.why;
  } catch (const Error& e) {
    // Listed a moment ago, gone now: deleted meanwhile.
    r.outcome = e.kind() == ErrorKind::not_found ? ResealOutcome::changed : ResealOutcome::failed;
    r.detail = e.kind() == ErrorKind::not_found ? "removed by someone else meanwhile" : e.what();
  }
  return r;
}

ResealTotals reseal_store(store::Store& store, const crypto::Keyring& keys, const ResealOptions& options,
                          const std::function<void(const std::string& key, const ResealResult&)>& report) {
  ResealTotals totals;
  std::string after;
  for (;;) {
    store::ListPage page = store.list(options.prefix, after, kListPage);
    for (const auto& entry : page.entries) {
      ResealResult r = reseal_object(store, keys, options, entry.key);
      switch (r.outcome) {
        case ResealOutcome::current: ++totals.current; break;
        case ResealOutcome::resealed: ++totals.resealed; break;
        case ResealOutcome::changed: ++totals.changed; break;
        case ResealOutcome::failed: ++totals.failed; break;
      }
      report(entry.key, r);
    }
    if (!page.next_after) return totals;
    after = *page.next_after;
  }
}

}  // namespace haul::gateway
