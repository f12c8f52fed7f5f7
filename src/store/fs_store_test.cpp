// The fs store against a real directory (a fresh temp dir per test).

#include "store/fs_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "core/test_temp_dir.hpp"
#include "store/fs_assembly.hpp"
#include "store/fs_io.hpp"

namespace haul::store {
namespace {

namespace sfs = std::filesystem;
using Bytes = std::vector<uint8_t>;

Bytes pattern(size_t size, uint32_t seed) {
  Bytes out(size);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// Regular files below `dir` (any depth).
size_t files_below(const sfs::path& dir) {
  size_t n = 0;
  for (const auto& entry : sfs::recursive_directory_iterator(dir)) n += entry.is_regular_file() ? 1 : 0;
  return n;
}

// Every path below `dir`, relative to it, sorted.
std::vector<std::string> tree(const sfs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : sfs::recursive_directory_iterator(dir)) {
    out.push_back(sfs::relative(entry.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct ReadResult {
  ObjectHead head;
  Bytes body;
  size_t sink_calls = 0;
};

class FsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = make_fs_store(dir_.string()); }
  void TearDown() override { store_.reset(); }

  // Temp files of any instance (each lives in a directory DIR/tmp/<id>/).
  size_t temp_files() const { return files_below(dir_ / "tmp"); }

  void put(std::string_view key, const Bytes& body, const Bytes& header = to_bytes("HDR"), size_t chunk = 65539) {
    auto writer = store_->create(key, header);
    for (size_t at = 0; at < body.size(); at += chunk) {
      writer->write(std::span(body).subspan(at, std::min(chunk, body.size() - at)));
    }
    writer->commit();
  }

  ReadResult get(std::string_view key, const BodyRange& range = {}) {
    ReadResult r;
    store_->read(
        key, range, [&](const ObjectHead& h) { r.head = h; },
        [&](std::span<const uint8_t> bytes) {
          r.body.insert(r.body.end(), bytes.begin(), bytes.end());
          ++r.sink_calls;
          return true;
        });
    return r;
  }

  void write_part(const std::string& id, std::string_view key, uint32_t n, uint64_t offset, const Bytes& body) {
    auto writer = store_->open_part(id, key, n, offset);
    writer->write(body);
    writer->commit();
  }

  haul::testing::TempDir temp_{"haul-fs-test"};
  const sfs::path dir_ = temp_.path();
  std::unique_ptr<Store> store_;
};

TEST_F(FsStoreTest, RoundTripSizes) {
  const Bytes header = pattern(57, 1);
  for (size_t size : {size_t{0}, size_t{1}, size_t{1} << 20, (size_t{1} << 20) + 7}) {
    std::string key = "sizes/" + std::to_string(size);
    Bytes body = pattern(size, static_cast<uint32_t>(size));
    put(key, body, header);
    ReadResult r = get(key);
    EXPECT_EQ(r.head.header, header) << size;
    EXPECT_EQ(r.head.body_size, size);
    EXPECT_EQ(r.body, body) << size;
    EXPECT_GT(r.head.mtime_unix, 0);
    ObjectHead h = store_->head(key);
    EXPECT_EQ(h.header, header);
    EXPECT_EQ(h.body_size, size);
    // On disk: 8-byte prefix, header, body; nothing else.
    EXPECT_EQ(sfs::file_size(dir_ / "objects" / "sizes.dir" / (std::to_string(size) + ".obj")), 8 + 57 + size);
  }
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(FsStoreTest, EmptyHeader) {
  put("k", to_bytes("body"), {});
  ReadResult r = get("k");
  EXPECT_TRUE(r.head.header.empty());
  EXPECT_EQ(r.body, to_bytes("body"));
}

TEST_F(FsStoreTest, RangesAndSuffixes) {
  const size_t size = (1 << 20) + 333;  // several 256 KiB read chunks
  Bytes body = pattern(size, 7);
  put("r", body);
  struct Case {
    BodyRange range;
    size_t begin, end;
  };
  const std::vector<Case> cases = {
      {BodyRange{0, 1, std::nullopt}, 0, 1},
      {BodyRange{5, 10, std::nullopt}, 5, 15},
      {BodyRange{262143, 2, std::nullopt}, 262143, 262145},  // across a chunk edge
      {BodyRange{1000, std::nullopt, std::nullopt}, 1000, size},
      {BodyRange{size - 1, std::nullopt, std::nullopt}, size - 1, size},
      {BodyRange{size - 10, 100, std::nullopt}, size - 10, size},  // clamped
      {BodyRange{size, 5, std::nullopt}, size, size},              // past the end: empty
      {BodyRange{size + 100, std::nullopt, std::nullopt}, size, size},
      {BodyRange{0, std::nullopt, 28}, size - 28, size},  // suffix
      {BodyRange{0, std::nullopt, size + 5}, 0, size},    // suffix longer than body
      {BodyRange{0, std::nullopt, 600000}, size - 600000, size},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    ReadResult r = get("r", cases[i].range);
    EXPECT_EQ(r.head.body_size, size) << i;
    EXPECT_EQ(r.body, Bytes(body.begin() + cases[i].begin, body.begin() + cases[i].end)) << i;
  }
}

TEST_F(FsStoreTest, SinkCanStopEarly) {
  put("r", pattern(1 << 20, 3));
  size_t calls = 0;
  store_->read(
      "r", {}, [](const ObjectHead&) {},
      [&](std::span<const uint8_t> bytes) {
        ++calls;
        EXPECT_EQ(bytes.size(), 256u * 1024);
        return false;
      });
  EXPECT_EQ(calls, 1u);
}

TEST_F(FsStoreTest, ReaderIsPulledInPiecesOfTheCallersSize) {
  Bytes body = pattern(100000, 4);
  put("p", body, to_bytes("HDR"));
  auto reader = store_->open("p", BodyRange{1000, 50000, std::nullopt});
  EXPECT_EQ(reader->head().header, to_bytes("HDR"));
  EXPECT_EQ(reader->head().body_size, body.size());
  Bytes got;
  std::vector<uint8_t> piece(7000);
  size_t n;
  while ((n = reader->read(piece)) > 0) {
    got.insert(got.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < piece.size()) {
      EXPECT_EQ(got.size(), 50000u);  // fewer only at the end
    }
  }
  EXPECT_EQ(got, Bytes(body.begin() + 1000, body.begin() + 51000));
  EXPECT_EQ(reader->read(piece), 0u);  // the end stays the end
  // A range past the end: the head, no bytes.
  auto past = store_->open("p", BodyRange{200000, std::nullopt, std::nullopt});
  EXPECT_EQ(past->head().body_size, body.size());
  EXPECT_EQ(past->read(piece), 0u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open("absent", {}); }), ErrorKind::not_found);
}

TEST_F(FsStoreTest, AbsentKeysAreNotFound) {
  put("a/b", to_bytes("x"));
  for (std::string_view key : {"missing", "a", "a/b/c", "a/c"}) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { get(key); }), ErrorKind::not_found) << key;
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head(key); }), ErrorKind::not_found) << key;
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->remove(key); }), ErrorKind::not_found) << key;
  }
}

TEST_F(FsStoreTest, BadKeysAreRejectedBeforeTouchingDisk) {
  for (std::string_view key : {"../escape", "/abs", "a/./b", ""}) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->create(key, {}); }), ErrorKind::bad_request) << key;
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head(key); }), ErrorKind::bad_request) << key;
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->remove(key); }), ErrorKind::bad_request) << key;
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->begin_upload(key, {}); }), ErrorKind::bad_request) << key;
  }
  EXPECT_TRUE(sfs::is_empty(dir_ / "objects"));
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_FALSE(sfs::exists(dir_ / "escape.obj"));
}

TEST_F(FsStoreTest, WriterDestroyedWithoutCommitLeavesNothing) {
  {
    auto writer = store_->create("dir/k", to_bytes("H"));
    writer->write(pattern(100000, 1));
    EXPECT_EQ(temp_files(), 1u);  // the temp file exists meanwhile
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("dir/k"); }), ErrorKind::not_found);
  }
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("dir/k"); }), ErrorKind::not_found);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_TRUE(sfs::is_empty(dir_ / "objects"));
}

TEST_F(FsStoreTest, AbortedOverwriteLeavesOldVersion) {
  Bytes v1 = pattern(300000, 1);
  put("k", v1, to_bytes("v1"));
  {
    auto writer = store_->create("k", to_bytes("v2"));
    writer->write(pattern(500000, 2));
    ReadResult during = get("k");  // nothing of v2 visible before commit
    EXPECT_EQ(during.head.header, to_bytes("v1"));
    EXPECT_EQ(during.body, v1);
  }
  ReadResult after = get("k");
  EXPECT_EQ(after.head.header, to_bytes("v1"));
  EXPECT_EQ(after.body, v1);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(FsStoreTest, ReaderKeepsItsVersionAcrossOverwriteAndRemove) {
  Bytes v1 = pattern(600000, 1);
  put("k", v1);
  Bytes seen;
  bool replaced = false;
  store_->read(
      "k", {}, [](const ObjectHead&) {},
      [&](std::span<const uint8_t> bytes) {
        if (!replaced) {  // after the first chunk: overwrite, then remove
          put("k", pattern(600000, 2));
          store_->remove("k");
          replaced = true;
        }
        seen.insert(seen.end(), bytes.begin(), bytes.end());
        return true;
      });
  EXPECT_EQ(seen, v1);
}

TEST_F(FsStoreTest, ConcurrentWritersOfOneKeyNeverMix) {
  const size_t size = 200000;
  const int iterations = 200;
  std::atomic<bool> writers_done{false};
  std::atomic<int> reads_checked{0};
  auto writer_thread = [&](uint8_t fill) {
    Bytes body(size, fill);
    for (int i = 0; i < iterations; ++i) put("race/key", body, Bytes{fill}, 7000);
  };
  std::thread a(writer_thread, uint8_t{'A'});
  std::thread b(writer_thread, uint8_t{'B'});
  std::thread reader([&] {
    while (!writers_done) {
      try {
        ReadResult r = get("race/key");
        ASSERT_EQ(r.head.header.size(), 1u);
        ASSERT_EQ(r.body.size(), size);
        uint8_t fill = r.head.header[0];
        ASSERT_TRUE(std::all_of(r.body.begin(), r.body.end(), [&](uint8_t c) { return c == fill; }));
        ++reads_checked;
      } catch (const Error& e) {
        ASSERT_EQ(e.kind(), ErrorKind::not_found);  // before the first commit
      }
    }
  });
  a.join();
  b.join();
  writers_done = true;
  reader.join();
  ReadResult final_version = get("race/key");
  ASSERT_EQ(final_version.body.size(), size);
  uint8_t fill = final_version.head.header.at(0);
  EXPECT_TRUE(fill == 'A' || fill == 'B');
  EXPECT_TRUE(std::all_of(final_version.body.begin(), final_version.body.end(), [&](uint8_t c) { return c == fill; }));
  EXPECT_EQ(temp_files(), 0u);
  std::cout << "reads checked during the race: " << reads_checked << "\n";
}

TEST_F(FsStoreTest, ConcurrentCreateAndRemoveInOneDirectory) {
  // remove() deletes directories it leaves empty, which a concurrent create()
  // may be about to rename into; every create must still land. Two threads
  // each put and remove their own key in one directory, so it empties often.
  const int iterations = 200;
  std::atomic<int> failures{0};
  auto cycle = [&](const std::string& key) {
    for (int i = 0; i < iterations; ++i) {
      try {
        put(key, to_bytes("v"));
        store_->remove(key);
      } catch (const Error& e) {
        ++failures;
        ADD_FAILURE() << key << ": " << e.what();
      }
    }
  };
  std::thread a(cycle, "d/e/one");
  std::thread b(cycle, "d/e/two");
  a.join();
  b.join();
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(sfs::is_empty(dir_ / "objects"));
}

TEST_F(FsStoreTest, CrashDebrisInTmpIsRemovedAtStart) {
  // Debris as versions before per-instance temp directories left it,
  // directly in tmp/ (a crash of the current layout: KilledWriter... below).
  put("keep/me", to_bytes("kept"));
  {
    std::ofstream(dir_ / "tmp" / "0123456789abcdef0123456789abcdef.obj") << "half an object";
    sfs::create_directories(dir_ / "tmp" / "fedcba9876543210fedcba9876543210.upload");
    std::ofstream(dir_ / "tmp" / "fedcba9876543210fedcba9876543210.upload" / "meta") << "x";
  }
  ASSERT_EQ(temp_files(), 2u);
  store_ = make_fs_store(dir_.string());
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(get("keep/me").body, to_bytes("kept"));
}

TEST_F(FsStoreTest, KilledWriterLeavesOldVersionAndNoDebrisAfterRestart) {
  // A real crash: a child process overwrites "k", has written 1 MiB of the
  // new version (uncommitted) and is killed with SIGKILL; then the store is
  // opened again. The child waits on `hold` (never written) so the kill
  // lands mid-object; if this process dies first, the pipe closes and the
  // child exits on its own.
  Bytes v1 = pattern(100000, 1);
  put("k", v1);
  int ready[2], hold[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(hold), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    ::close(hold[1]);
    try {
      auto own = make_fs_store(dir_.string());  // a gateway process of its own
      auto writer = own->create("k", to_bytes("v2"));
      writer->write(pattern(1 << 20, 2));
      char c = 'x';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      while (::read(hold[0], &c, 1) != 0) {
      }
    } catch (...) {
    }
    ::_exit(3);
  }
  ::close(ready[1]);
  ::close(hold[0]);
  char c = 0;
  EXPECT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  EXPECT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(hold[1]);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(temp_files(), 1u);  // the dead writer's temp file

  // The running store's periodic sweep removes it (its owner is gone); so
  // would the next start.
  store_->cleanup_expired_uploads(std::chrono::hours(1));
  EXPECT_EQ(temp_files(), 0u);
  store_ = make_fs_store(dir_.string());
  EXPECT_EQ(temp_files(), 0u);
  ReadResult r = get("k");
  EXPECT_EQ(r.head.header, to_bytes("HDR"));
  EXPECT_EQ(r.body, v1);
  EXPECT_EQ(store_->list("", "", 10).entries.size(), 1u);
}

TEST_F(FsStoreTest, SecondStoreOnTheDirectoryKeepsTheFirstOnesTempFiles) {
  // Two gateways on one DIR: the second's start (and its periodic sweep)
  // must not take the first one's upload in progress (it did: tmp/ was
  // emptied at start, and the first upload's commit failed with not_found).
  Bytes first_half = pattern(1 << 20, 5), second_half = pattern(1 << 20, 6);
  auto writer = store_->create("big", to_bytes("H1"));
  writer->write(first_half);
  auto second = make_fs_store(dir_.string());
  EXPECT_EQ(second->cleanup_expired_uploads(std::chrono::hours(1)), 0u);
  EXPECT_EQ(temp_files(), 1u);  // the first store's upload
  writer->write(second_half);
  writer->commit();
  Bytes whole = first_half;
  whole.insert(whole.end(), second_half.begin(), second_half.end());
  EXPECT_EQ(get("big").body, whole);
  auto from_second = second->head("big");
  EXPECT_EQ(from_second.header, to_bytes("H1"));
  // Each instance has its own locked temp directory; closing one removes it.
  EXPECT_EQ(std::distance(sfs::directory_iterator(dir_ / "tmp"), sfs::directory_iterator()), 2);
  second.reset();
  EXPECT_EQ(std::distance(sfs::directory_iterator(dir_ / "tmp"), sfs::directory_iterator()), 1);
  store_.reset();
  EXPECT_TRUE(sfs::is_empty(dir_ / "tmp"));
}

TEST_F(FsStoreTest, SweepRemovesOnlyUnlockedTempDirectories) {
  // A directory in tmp/ whose flock can be taken belongs to nobody alive.
  const sfs::path dead = dir_ / "tmp" / "0123456789abcdef0123456789abcdef";
  const sfs::path alive = dir_ / "tmp" / "fedcba9876543210fedcba9876543210";
  for (const auto& d : {dead, alive}) {
    sfs::create_directories(d / "sub");
    std::ofstream(d / "x.obj") << "half an object";
    std::ofstream(d / "sub" / "meta") << "x";
  }
  std::ofstream(dir_ / "tmp" / "legacy.obj") << "a temp file of an older version, directly in tmp/";
  fs::Fd held = fs::open_file(alive.string(), O_RDONLY | O_DIRECTORY);
  ASSERT_EQ(::flock(held.get(), LOCK_EX | LOCK_NB), 0);  // another process's live instance

  auto writer = store_->create("k", to_bytes("H"));
  writer->write(to_bytes("in progress"));
  store_->cleanup_expired_uploads(std::chrono::hours(1));
  EXPECT_FALSE(sfs::exists(dead));
  EXPECT_FALSE(sfs::exists(dir_ / "tmp" / "legacy.obj"));
  EXPECT_TRUE(sfs::exists(alive / "sub" / "meta"));
  writer->commit();  // our own temp file survived the sweep
  EXPECT_EQ(get("k").body, to_bytes("in progress"));

  held = fs::Fd();  // that process exits: its lock goes with it
  auto restarted = make_fs_store(dir_.string());
  EXPECT_FALSE(sfs::exists(alive));
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(FsStoreTest, UnusableDirectoryIsAConfigError) {
  std::ofstream(dir_ / "plain-file") << "x";
  EXPECT_EQ(haul::testing::error_kind_of([&] { make_fs_store((dir_ / "plain-file" / "store").string()); }),
            ErrorKind::config);
  EXPECT_EQ(haul::testing::error_kind_of([&] { make_fs_store(""); }), ErrorKind::config);
}

TEST_F(FsStoreTest, ForeignObjectFileIsIntegrityError) {
  std::ofstream(dir_ / "objects" / "junk.obj") << "not written by the store";
  std::ofstream(dir_ / "objects" / "short.obj") << "HL";
  EXPECT_EQ(haul::testing::error_kind_of([&] { get("junk"); }), ErrorKind::integrity);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("short"); }), ErrorKind::integrity);
}

TEST_F(FsStoreTest, KeyAndPrefixDirectoryCoexist) {
  put("a", to_bytes("1"));
  put("a/b", to_bytes("2"));
  put("a/b/c", to_bytes("3"));
  put("a.obj", to_bytes("4"));
  put("a.dir/x", to_bytes("5"));
  EXPECT_EQ(get("a").body, to_bytes("1"));
  EXPECT_EQ(get("a/b").body, to_bytes("2"));
  EXPECT_EQ(get("a/b/c").body, to_bytes("3"));
  EXPECT_EQ(get("a.obj").body, to_bytes("4"));
  EXPECT_EQ(get("a.dir/x").body, to_bytes("5"));
  store_->remove("a");
  EXPECT_EQ(get("a/b").body, to_bytes("2"));
  EXPECT_EQ(haul::testing::error_kind_of([&] { get("a"); }), ErrorKind::not_found);
}

TEST_F(FsStoreTest, ListIsInByteOrderWithPrefixAndPages) {
  // "a/", "a//b" and "a/c/": empty segments (S3 folder markers) sort as bytes too.
  std::vector<std::string> keys = {"a",       "a!",      "a b", "a/b", "a/c/d", "a/c/e",    "a0",
                                   "a.obj",   "A",       "b",   "b/a", "~",     "\xc3\xa9", "a/c!",
                                   "a/c/d/e", "z/z/z/z", "zz",  "a/",  "a//b",  "a/c/"};
  std::vector<std::string> shuffled = keys;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  for (size_t i = 0; i < shuffled.size(); ++i) put(shuffled[i], Bytes(i, 'x'));
  std::sort(keys.begin(), keys.end());  // byte-wise: std::string compares as unsigned char

  auto keys_of = [](const ListPage& page) {
    std::vector<std::string> out;
    for (const auto& e : page.entries) out.push_back(e.key);
    return out;
  };
  ListPage all = store_->list("", "", 1000);
  EXPECT_EQ(keys_of(all), keys);
  EXPECT_FALSE(all.next_after);
  for (const auto& e : all.entries) {
    size_t index = std::find(shuffled.begin(), shuffled.end(), e.key) - shuffled.begin();
    EXPECT_EQ(e.body_size, index) << e.key;
    EXPECT_GT(e.mtime_unix, 0);
  }

  EXPECT_EQ(keys_of(store_->list("a/", "", 1000)),
            (std::vector<std::string>{"a/", "a//b", "a/b", "a/c!", "a/c/", "a/c/d", "a/c/d/e", "a/c/e"}));
  EXPECT_EQ(keys_of(store_->list("a/c", "", 1000)),
            (std::vector<std::string>{"a/c!", "a/c/", "a/c/d", "a/c/d/e", "a/c/e"}));
  EXPECT_EQ(keys_of(store_->list("a/", "a/", 2)), (std::vector<std::string>{"a//b", "a/b"}));
  EXPECT_EQ(keys_of(store_->list("z/z/", "", 1000)), (std::vector<std::string>{"z/z/z/z"}));
  EXPECT_TRUE(store_->list("nothing", "", 1000).entries.empty());
  // start_after need not be a key.
  EXPECT_EQ(keys_of(store_->list("a/", "a/c/d/", 1000)), (std::vector<std::string>{"a/c/d/e", "a/c/e"}));
  EXPECT_EQ(keys_of(store_->list("", "b/", 3)), (std::vector<std::string>{"b/a", "z/z/z/z", "zz"}));

  for (size_t limit : {1, 2, 3, 5, 16, 17}) {
    std::vector<std::string> joined;
    std::string after;
    size_t pages = 0;
    while (true) {
      ListPage page = store_->list("", after, limit);
      ASSERT_LE(page.entries.size(), limit);
      auto got = keys_of(page);
      joined.insert(joined.end(), got.begin(), got.end());
      ++pages;
      if (!page.next_after) break;
      EXPECT_EQ(*page.next_after, got.back());
      after = *page.next_after;
    }
    EXPECT_EQ(joined, keys) << limit;
    // The store looks one entry ahead: no empty last page.
    EXPECT_EQ(pages, (keys.size() + limit - 1) / limit) << limit;
  }
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->list("", "", 0); }), ErrorKind::bad_request);
}

TEST_F(FsStoreTest, ListSkipsForeignFiles) {
  put("k", to_bytes("v"));
  std::ofstream(dir_ / "objects" / "README") << "hello";
  EXPECT_EQ(store_->list("", "", 10).entries.size(), 1u);
}

TEST_F(FsStoreTest, RemoveCleansEmptyDirectoriesButKeepsObjectsDir) {
  put("x/y/z", to_bytes("1"));
  put("x/w", to_bytes("2"));
  store_->remove("x/y/z");
  EXPECT_EQ(tree(dir_ / "objects"), (std::vector<std::string>{"x.dir", "x.dir/w.obj"}));
  store_->remove("x/w");
  EXPECT_TRUE(sfs::is_empty(dir_ / "objects"));
  put("top", to_bytes("t"));
  store_->remove("top");
  EXPECT_TRUE(sfs::is_directory(dir_ / "objects"));
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->remove("top"); }), ErrorKind::not_found);
}

TEST_F(FsStoreTest, PartsOutOfOrderWithARewrite) {
  const Bytes header = to_bytes("PARTHDR");
  Bytes p1 = pattern(100000, 1), p2 = pattern(100000, 2), p3 = pattern(12345, 3);
  put("big/obj", to_bytes("old version"));
  std::string id = store_->begin_upload("big/obj", header);
  write_part(id, "big/obj", 3, 200000, p3);
  write_part(id, "big/obj", 2, 100000, pattern(100000, 99));  // replaced below
  write_part(id, "big/obj", 1, 0, p1);
  write_part(id, "big/obj", 2, 100000, p2);
  EXPECT_EQ(get("big/obj").body, to_bytes("old version"));  // nothing visible before complete
  store_->complete_upload(id, "big/obj", 3);
  Bytes expected = p1;
  expected.insert(expected.end(), p2.begin(), p2.end());
  expected.insert(expected.end(), p3.begin(), p3.end());
  ReadResult r = get("big/obj");
  EXPECT_EQ(r.head.header, header);
  EXPECT_EQ(r.body, expected);
  EXPECT_TRUE(sfs::is_empty(dir_ / "uploads"));
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->complete_upload(id, "big/obj", 3); }), ErrorKind::not_found);
}

TEST_F(FsStoreTest, PartsEmptyObjectAndEmptyParts) {
  std::string id = store_->begin_upload("e", to_bytes("H"));
  store_->complete_upload(id, "e", 0);
  EXPECT_EQ(get("e").head.body_size, 0u);
  id = store_->begin_upload("f", to_bytes("H"));
  write_part(id, "f", 1, 0, {});
  write_part(id, "f", 2, 0, to_bytes("xy"));
  store_->complete_upload(id, "f", 2);
  EXPECT_EQ(get("f").body, to_bytes("xy"));
}

TEST_F(FsStoreTest, CompleteWithMissingPartFailsAndKeepsUpload) {
  std::string id = store_->begin_upload("m", to_bytes("H"));
  write_part(id, "m", 1, 0, to_bytes("one"));
  write_part(id, "m", 3, 6, to_bytes("three"));
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->complete_upload(id, "m", 3); }), ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("m"); }), ErrorKind::not_found);
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_TRUE(sfs::is_empty(dir_ / "objects"));
  // The upload is intact: send the missing part and complete.
  write_part(id, "m", 2, 3, to_bytes("two"));
  store_->complete_upload(id, "m", 3);
  EXPECT_EQ(get("m").body, to_bytes("onetwothree"));
}

TEST_F(FsStoreTest, CompleteWithMisplacedPartFails) {
  std::string id = store_->begin_upload("m", {});
  write_part(id, "m", 1, 0, to_bytes("one"));
  write_part(id, "m", 2, 4, to_bytes("two"));  // part 1 ends at 3
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->complete_upload(id, "m", 2); }), ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("m"); }), ErrorKind::not_found);
}

TEST_F(FsStoreTest, AbortRemovesEverything) {
  std::string id = store_->begin_upload("ab", to_bytes("H"));
  write_part(id, "ab", 1, 0, to_bytes("data"));
  auto late = store_->open_part(id, "ab", 2, 4);
  late->write(to_bytes("late"));
  store_->abort_upload(id, "ab");
  EXPECT_EQ(haul::testing::error_kind_of([&] { late->commit(); }), ErrorKind::not_found);  // no resurrection
  late.reset();
  EXPECT_TRUE(sfs::is_empty(dir_ / "uploads"));
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open_part(id, "ab", 1, 0); }), ErrorKind::not_found);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->complete_upload(id, "ab", 1); }), ErrorKind::not_found);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->abort_upload(id, "ab"); }), ErrorKind::not_found);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("ab"); }), ErrorKind::not_found);
}

TEST_F(FsStoreTest, UploadIdsAreCheckedAgainstKey) {
  std::string id = store_->begin_upload("mine", {});
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open_part(id, "other", 1, 0); }), ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->complete_upload(id, "other", 0); }), ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->abort_upload(id, "other"); }), ErrorKind::conflict);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open_part(id, "mine", 0, 0); }), ErrorKind::bad_request);
  for (std::string_view bad : {"", "../../objects", "0123", "0123456789ABCDEF0123456789ABCDEF"}) {
    EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open_part(bad, "mine", 1, 0); }), ErrorKind::not_found) << bad;
  }
}

TEST_F(FsStoreTest, ExpiredUploadsAreRemoved) {
  std::string old_id = store_->begin_upload("old", {});
  write_part(old_id, "old", 1, 0, to_bytes("x"));
  std::string fresh_id = store_->begin_upload("fresh", {});
  // Age the old upload by two hours (the directory's mtime is its last activity).
  struct timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 7200;
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / "uploads" / old_id).c_str(), times, 0), 0);

  EXPECT_EQ(store_->cleanup_expired_uploads(std::chrono::hours(3)), 0u);
  EXPECT_EQ(store_->cleanup_expired_uploads(std::chrono::hours(1)), 1u);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->open_part(old_id, "old", 2, 1); }), ErrorKind::not_found);
  write_part(fresh_id, "fresh", 1, 0, to_bytes("y"));
  store_->complete_upload(fresh_id, "fresh", 1);
  EXPECT_EQ(get("fresh").body, to_bytes("y"));
  EXPECT_TRUE(sfs::is_empty(dir_ / "uploads"));
  EXPECT_EQ(temp_files(), 0u);
}

// Parts are copied into uploads/<id>/body as they are committed, and marked
// (fs_assembly.hpp); complete() copies only what is not marked for this boot.
class FsAssemblyTest : public FsStoreTest {
 protected:
  void SetUp() override {
    FsStoreTest::SetUp();
    // The marks are extended attributes: a file system without them leaves
    // every part to complete(), which the other parts tests cover.
    const auto probe = dir_ / "xattr-probe";
    std::ofstream(probe).put('x');
    const bool xattrs = ::setxattr(probe.c_str(), "user.haul.probe", "1", 1, 0) == 0;
    sfs::remove(probe);
    if (!xattrs) GTEST_SKIP() << "no user extended attributes on " << dir_;
  }
  sfs::path upload(const std::string& id) const { return dir_ / "uploads" / id; }
  static std::string mark_of(const sfs::path& part) {
    std::array<char, 64> value{};
    ssize_t n = ::getxattr(part.c_str(), "user.haul.assembled", value.data(), value.size());
    return n > 0 ? std::string(value.data(), static_cast<size_t>(n)) : "";
  }
  static Bytes read_file(const sfs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
  static void overwrite(const sfs::path& path, uint64_t offset, const Bytes& bytes) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  // Prefix ("HLFS" + u32) and header come before the body in an object file.
  static uint64_t data_offset(const Bytes& header) { return 8 + header.size(); }
};

TEST_F(FsAssemblyTest, PartsAreInTheBodyBeforeComplete) {
  const Bytes header = to_bytes("HDR");
  const Bytes p1 = pattern(70000, 1), p2 = pattern(5000, 2);
  std::string id = store_->begin_upload("a/b", header);
  write_part(id, "a/b", 2, p1.size(), p2);  // out of order: a hole until part 1 comes
  write_part(id, "a/b", 1, 0, p1);
  Bytes body = read_file(upload(id) / "body");
  ASSERT_EQ(body.size(), data_offset(header) + p1.size() + p2.size());
  EXPECT_EQ(Bytes(body.begin() + 8, body.begin() + 11), header);
  EXPECT_EQ(Bytes(body.begin() + static_cast<ptrdiff_t>(data_offset(header)), body.end() - 5000), p1);
  EXPECT_EQ(Bytes(body.end() - 5000, body.end()), p2);
  const std::string boot = mark_of(upload(id) / "part-1");
  EXPECT_EQ(boot.size(), 36u) << boot;  // /proc/sys/kernel/random/boot_id
  EXPECT_EQ(mark_of(upload(id) / "part-2"), boot);
  store_->complete_upload(id, "a/b", 2);
  Bytes expected = p1;
  expected.insert(expected.end(), p2.begin(), p2.end());
  EXPECT_EQ(get("a/b").body, expected);
  EXPECT_EQ(get("a/b").head.header, header);
  EXPECT_TRUE(sfs::is_empty(dir_ / "uploads"));
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(FsAssemblyTest, CompleteCopiesOnlyWhatIsNotMarkedForThisBoot) {
  const Bytes header = to_bytes("H");
  const Bytes p1 = pattern(3000, 1), p2 = pattern(3000, 2);
  std::string id = store_->begin_upload("k", header);
  write_part(id, "k", 1, 0, p1);
  write_part(id, "k", 2, p1.size(), p2);
  // Part 2's copy as a power cut could leave it (zeros), its mark from the
  // boot before: complete() copies it again. Part 1's copy is damaged too
  // but marked for this boot, so complete() trusts it: the damage shows
  // that a marked part is not copied a second time.
  overwrite(upload(id) / "body", data_offset(header) + p1.size(), Bytes(p2.size(), 0));
  ASSERT_EQ(::setxattr((upload(id) / "part-2").c_str(), "user.haul.assembled", "earlier-boot", 12, 0), 0);
  overwrite(upload(id) / "body", data_offset(header), to_bytes("XX"));
  store_->complete_upload(id, "k", 2);
  Bytes expected = p1;
  expected[0] = 'X';
  expected[1] = 'X';
  expected.insert(expected.end(), p2.begin(), p2.end());
  EXPECT_EQ(get("k").body, expected);
}

TEST_F(FsAssemblyTest, AnUploadWithoutABodyCompletesByCopying) {
  // As an upload begun by a gateway before bodies existed left it.
  std::string id = store_->begin_upload("old", to_bytes("HH"));
  write_part(id, "old", 1, 0, to_bytes("one"));
  write_part(id, "old", 2, 3, to_bytes("two"));
  sfs::remove(upload(id) / "body");
  store_->complete_upload(id, "old", 2);
  EXPECT_EQ(get("old").body, to_bytes("onetwo"));
  EXPECT_EQ(get("old").head.header, to_bytes("HH"));
}

TEST_F(FsAssemblyTest, CopiedPartsBeyondTheCountAreNotTheObjects) {
  std::string id = store_->begin_upload("c", {});
  write_part(id, "c", 1, 0, to_bytes("one"));
  write_part(id, "c", 2, 3, to_bytes("two"));
  write_part(id, "c", 3, 6, to_bytes("three"));
  store_->complete_upload(id, "c", 2);
  EXPECT_EQ(get("c").body, to_bytes("onetwo"));
}

// Requests writing one part at once (a client's retry while the first
// attempt still runs): whichever commits last, the object holds one whole
// version of the part, never a mix of several copies.
TEST_F(FsAssemblyTest, ConcurrentWritersOfOnePartNeverMix) {
  constexpr size_t kWriters = 4;
  for (int round = 0; round < 10; ++round) {
    const std::string key = "mix/" + std::to_string(round);
    std::string id = store_->begin_upload(key, {});
    std::vector<std::thread> writers;
    for (size_t w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] { write_part(id, key, 1, 0, Bytes(2 << 20, static_cast<uint8_t>('A' + w))); });
    }
    for (auto& t : writers) t.join();
    store_->complete_upload(id, key, 1);
    const Bytes got = get(key).body;
    ASSERT_EQ(got.size(), size_t{2} << 20);
    EXPECT_EQ(std::count(got.begin(), got.end(), got.front()), static_cast<ptrdiff_t>(got.size())) << "round " << round;
  }
}

// The exclusion itself, as an ordering: while part 1's lock is held, a
// commit of part 1 (its copy into the body) and a complete (its check of
// part 1) wait; released, both go on.
TEST_F(FsAssemblyTest, CopiesAndCompleteWaitForThePartsLock) {
  std::string id = store_->begin_upload("w", {});
  const std::string body_path = (upload(id) / "body").string();
  fs::Fd body = fs::open_file(body_path, O_RDWR);
  auto lock = std::make_unique<fs::PartLock>(body.get(), 1);
  ASSERT_TRUE(lock->held());
  std::atomic<bool> committed{false};
  std::thread writer([&] {
    write_part(id, "w", 1, 0, to_bytes("one"));
    committed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(committed);  // its copy waits for the lock
  lock.reset();
  writer.join();
  EXPECT_FALSE(mark_of(upload(id) / "part-1").empty());

  lock = std::make_unique<fs::PartLock>(body.get(), 1);
  ASSERT_TRUE(lock->held());
  std::atomic<bool> completed{false};
  std::thread completer([&] {
    store_->complete_upload(id, "w", 1);
    completed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(completed);
  lock.reset();
  completer.join();
  EXPECT_EQ(get("w").body, to_bytes("one"));
}

TEST_F(FsStoreTest, DescribeNamesTheDirectory) {
  EXPECT_EQ(store_->describe(), "fs:" + dir_.string());
}

}  // namespace
}  // namespace haul::store

namespace haul::store {
namespace {

TEST(FsIo, ErrnoMapsToKinds) {
  auto caught = [](int err) -> Error {
    try {
      fs::throw_errno(err, "write", "/some/path");
    } catch (const Error& e) {
      return e;
    }
    return Error(ErrorKind::internal, "not thrown");
  };
  EXPECT_EQ(caught(ENOENT).kind(), ErrorKind::not_found);
  EXPECT_EQ(caught(ENOTDIR).kind(), ErrorKind::not_found);
  for (int err : {ENOSPC, EDQUOT}) {
    Error e = caught(err);
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  for (int err : {EACCES, EPERM, EROFS}) {
    Error e = caught(err);
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << e.what();
  }
  EXPECT_EQ(caught(EIO).kind(), ErrorKind::io);
  // The path is for the log (what()), never for a client (public_message()).
  for (int err : {ENOENT, ENOSPC, EACCES, EROFS, EIO}) {
    Error e = caught(err);
    EXPECT_NE(std::string(e.what()).find("/some/path"), std::string::npos) << e.what();
    EXPECT_EQ(e.public_message().find("/some/path"), std::string_view::npos) << e.public_message();
    EXPECT_NE(e.public_message().find(std::strerror(err)), std::string_view::npos) << e.public_message();
  }
}

TEST(FsIo, RealEnospcIsDiskFull) {
  // /dev/full fails every write with ENOSPC: the path a full disk takes.
  fs::Fd full = fs::open_file("/dev/full", O_WRONLY);
  Bytes data(4096, 1);
  try {
    fs::write_all(full.get(), data, "/dev/full");
    ADD_FAILURE() << "write to /dev/full succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
}

TEST(FsIo, CopyRangeSameAndAcrossFilesystems) {
  // Across filesystems (tmpfs /dev/shm -> the temp dir) the kernel may refuse
  // copy_file_range (EXDEV) and copy_range falls back to read/write; either
  // way the bytes must arrive. (strace here, kernel 6.18: EXDEV from /dev/shm,
  // a direct copy_file_range within the temp dir.)
  Bytes body = pattern(300000, 9);
  sfs::path tmp = sfs::temp_directory_path();
  for (const sfs::path& src_dir : {sfs::path("/dev/shm"), tmp}) {
    if (!sfs::is_directory(src_dir)) continue;
    sfs::path src = src_dir / ("haul-copy-src-" + std::to_string(::getpid()));
    sfs::path dst = tmp / ("haul-copy-dst-" + std::to_string(::getpid()));
    {
      fs::Fd out = fs::open_file(src, O_WRONLY | O_CREAT | O_TRUNC);
      fs::write_all(out.get(), body, src);
    }
    {
      fs::Fd in = fs::open_file(src, O_RDONLY);
      fs::Fd out = fs::open_file(dst, O_WRONLY | O_CREAT | O_TRUNC);
      fs::write_all(out.get(), to_bytes("pre"), dst);
      fs::copy_range(in.get(), 1000, out.get(), body.size() - 1000, src);
    }
    std::ifstream in(dst, std::ios::binary);
    Bytes got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Bytes expected = to_bytes("pre");
    expected.insert(expected.end(), body.begin() + 1000, body.end());
    EXPECT_EQ(got, expected) << src_dir;
    sfs::remove(src);
    sfs::remove(dst);
  }
}

}  // namespace
}  // namespace haul::store
