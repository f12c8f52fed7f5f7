#pragma once
// A parts upload's object file, assembled while the parts arrive (fs store,
// docs/store.md "Parts uploads").
//
// complete_upload() used to copy every part into a new file and fsync it: for
// a 200 MiB upload ~350 ms after the last part, while the client waits. Now
// each part, once committed (its own file fsynced and renamed into the
// upload), is also copied into uploads/<id>/body at its offset and its
// writeback started, and the part file is marked with an extended attribute
// naming the boot it was copied in. complete() then copies only the parts
// that are not marked for this boot, fsyncs the body (most of it written back
// by then) and renames it into objects/.
//
// Why a part copied in an earlier boot is copied again: the copy is not
// fsynced when it is made, so it may have been lost with the page cache in a
// power cut; a process crash loses nothing that was written. The mark sits on
// the part file's inode, so a part written again (a new inode renamed over
// the old one) carries no mark until its own copy is done.
//
// Who writes which bytes: the copy of part n into the body, and the check
// and copy of part n by complete(), each hold an exclusive open-file-
// description lock on one byte of the body far beyond any data (lock byte
// n), so two copies of one part never interleave, and complete() waits for
// a copy under way. A copy that takes its lock after complete() claimed the
// upload finds the body gone from the upload's path and does nothing.

#include <cstdint>
#include <string>
#include <string_view>

#include "store/fs_io.hpp"

namespace haul::store::fs {

inline constexpr std::string_view kBodyName = "body";
// Where committed part n lives in the upload's directory.
std::string part_file_name(uint32_t part_number);

// /proc/sys/kernel/random/boot_id, "" when it cannot be read (then nothing
// counts as assembled and complete() copies every part).
std::string read_boot_id();

// Holds the lock of part n on a body file (see above) until destroyed,
// waiting for it. held() is false when the file system refused the lock
// (ENOLCK, or no locks at all): then no copy into the body is made
// (assemble_committed_part gives up) and complete() copies every part, so
// nothing depends on a lock that was not there.
class PartLock {
 public:
  PartLock(int body_fd, uint32_t part_number);
  ~PartLock();
  PartLock(const PartLock&) = delete;
  PartLock& operator=(const PartLock&) = delete;
  bool held() const noexcept { return held_; }

 private:
  int fd_;
  uint32_t part_number_;
  bool held_;
};

// Whether the part file open as part_fd was copied into the body during the
// boot `boot_id`.
bool is_assembled(int part_fd, const std::string& boot_id);
// Marks it so; false when the file system keeps no extended attributes.
bool mark_assembled(int part_fd, const std::string& boot_id);

// Copies the body of the part file open as part_fd (after its prefix) into
// the body file at data_offset + the part's recorded body offset, and starts
// writing it back. Returns the part's body offset and size.
struct PartPlace {
  uint64_t offset = 0;
  uint64_t size = 0;
};
PartPlace read_part_place(int part_fd, const std::string& part_path);
void copy_part_into_body(int part_fd, const PartPlace& place, int body_fd, uint64_t data_offset,
                         const std::string& part_path);

// After part n of the upload in upload_dir was committed: copy it into the
// body and mark it (see above). Best effort: a failure leaves the part
// unmarked, and complete() copies it then.
void assemble_committed_part(const std::string& upload_dir, uint32_t part_number, uint64_t data_offset,
                             const std::string& boot_id) noexcept;

}  // namespace haul::store::fs
