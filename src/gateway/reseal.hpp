#pragma once
// Re-sealing stored objects (`haul reseal`, docs/format.md section 11):
// format 1 -> format 3 (what new objects are), which binds each object to its
// key and store; with `rotate`, objects sealed under an older master key ->
// the newest one; with `from_store_id`, format-2/3 objects sealed for a
// store's old id -> its new id. Format-2 objects otherwise stay as they are
// (bound like format 3; they lack only its metadata and MD5). What is
// re-sealed is written as format 3, keeping a format-3 object's metadata and
// trailer digests.
// Each object streams through decryption and encryption in bounded memory
// (about 1 MiB, whatever the object's size) and is committed through the
// store's ordinary writer, so it appears atomically or not at all.
//
// Concurrent writers: an object written or deleted by someone else after
// reseal first looked at it is left as that writer left it (outcome
// `changed`): the header is compared when the body read starts and again
// just before the commit. Only a write that lands between that last check
// and the commit (one rename for fs, one request for S3) can be overwritten
// by the re-sealed older content; the docs say how to avoid it.
//
// Blocking (store I/O), no sockets; one object at a time.

#include <cstdint>
#include <functional>
#include <string>

#include "crypto/keyring.hpp"
#include "store/store.hpp"

namespace haul::gateway {

struct ResealOptions {
  std::string store_id;  // the id the gateway binds to this store (its --store-id, else its name)
  std::string prefix;    // only keys that start with it
  bool rotate = false;   // also re-seal format-2/3 objects sealed under an older master key
  bool dry_run = false;  // decide and report, write nothing
  // The id format-2/3 objects are sealed for now, when it is not store_id (a
  // renamed store): every such object is then re-sealed for store_id.
  std::string from_store_id;
};

enum class ResealOutcome {
  current,   // already format 2 or 3 for store_id (under the newest key, with rotate): untouched
  resealed,  // re-sealed (dry run: would be)
  changed,   // written or removed by someone else meanwhile: untouched
  failed,    // unreadable, failed authentication, or the store failed: untouched
};

struct ResealResult {
  ResealOutcome outcome = ResealOutcome::failed;
  unsigned from_format = 0;  // the stored object's format and key id, when its header was read
  uint32_t from_key_id = 0;
  std::string detail;  // why, for changed and failed
};

// Re-seals one object if it needs it. Never throws haul::Error: every
// failure is an outcome (a bug may still throw).
ResealResult reseal_object(store::Store& store, const crypto::Keyring& keys, const ResealOptions& options,
                           const std::string& key);

struct ResealTotals {
  uint64_t current = 0;
  uint64_t resealed = 0;
  uint64_t changed = 0;
  uint64_t failed = 0;
};

// Every object whose key starts with options.prefix, in key order, page by
// page; report() is called once per object. Throws Error when listing fails.
ResealTotals reseal_store(store::Store& store, const crypto::Keyring& keys, const ResealOptions& options,
                          const std::function<void(const std::string& key, const ResealResult&)>& report);

}  // namespace haul::gateway
