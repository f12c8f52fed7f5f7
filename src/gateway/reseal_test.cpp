// haul reseal's engine against a real fs store in a fresh temp dir: format 1
// -> 2, rotation, and what it leaves alone (other writers, damaged objects).
#include "gateway/reseal.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "core/error.hpp"
#include "core/error_kind_of.hpp"
#include "core/test_temp_dir.hpp"
#include "crypto/md5.hpp"
#include "crypto/sha256.hpp"
#include "crypto/stream_format.hpp"
#include "crypto/test_support.hpp"
#include "gateway/metrics.hpp"
#include "gateway/open_pipeline.hpp"
#include "store/fs_store.hpp"

using namespace haul;
using namespace haul::gateway;

namespace {

namespace sfs = std::filesystem;
using Bytes = std::vector<uint8_t>;

using crypto::test::pattern;

// A store that lets another writer act at a chosen moment: after the
// wrapped read() has delivered the whole body (reseal has then read the
// object, but not committed). Everything else is the real fs store.
class HookedReader : public store::BodyReader {
 public:
  HookedReader(std::unique_ptr<store::BodyReader> inner, std::function<void()>& after_first_read)
      : inner_(std::move(inner)), after_first_read_(after_first_read) {}
  const store::ObjectHead& head() const override { return inner_->head(); }
  size_t read(std::span<uint8_t> out) override {
    size_t n = inner_->read(out);
    if (after_first_read_)
      std::exchange(after_first_read_, nullptr)();  // the first piece is out: the stream is under way
    return n;
  }

 private:
  std::unique_ptr<store::BodyReader> inner_;
  std::function<void()>& after_first_read_;
};

class InterleavingStore : public store::Store {
 public:
  explicit InterleavingStore(store::Store& inner) : inner_(inner) {}
  std::function<void()> after_read;

  std::string describe() const override { return inner_.describe(); }
  std::unique_ptr<store::ObjectWriter> create(std::string_view key, std::span<const uint8_t> header) override {
    return inner_.create(key, header);
  }
  // Runs after_read once, after the first piece of a body was read.
  std::unique_ptr<store::BodyReader> open(std::string_view key, const store::BodyRange& range) override {
    return std::make_unique<HookedReader>(inner_.open(key, range), after_read);
  }
  store::ObjectHead head(std::string_view key) override { return inner_.head(key); }
  void remove(std::string_view key) override { inner_.remove(key); }
  store::ListPage list(std::string_view prefix, std::string_view after, size_t limit) override {
    return inner_.list(prefix, after, limit);
  }
  std::string begin_upload(std::string_view key, std::span<const uint8_t> header) override {
    return inner_.begin_upload(key, header);
  }
  std::unique_ptr<store::ObjectWriter> open_part(std::string_view id, std::string_view key, uint32_t n,
                                                 uint64_t offset) override {
    return inner_.open_part(id, key, n, offset);
  }
  void complete_upload(std::string_view id, std::string_view key, uint32_t count) override {
    inner_.complete_upload(id, key, count);
  }
  void abort_upload(std::string_view id, std::string_view key) override { inner_.abort_upload(id, key); }
  size_t cleanup_expired_uploads(std::chrono::seconds age) override { return inner_.cleanup_expired_uploads(age); }
  void probe() override { inner_.probe(); }

 private:
  store::Store& inner_;
};

ResealOptions options_for(const std::string& store_id) {
  ResealOptions o;
  o.store_id = store_id;
  return o;
}

class ResealTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::make_fs_store(dir_.string()); }
  void TearDown() override { store_.reset(); }

  // Seals `plain` as `key` in the given format under master key `key_id`,
  // for store id "default"; `trailer_sha` overrides the trailer's digest (as
  // a parts upload's client declares it).
  void put(const std::string& key, const Bytes& plain, uint8_t version, uint32_t key_id,
           std::optional<std::array<uint8_t, 32>> trailer_sha = std::nullopt) {
    auto header = crypto::new_header(*keys_.find(key_id));
    header.version = version;
    crypto::ObjectCipher cipher(keys_, header, {"default", key});
    crypto::StreamEncryptor enc(cipher);
    Bytes body;
    enc.update(plain, body);
    if (trailer_sha) enc.defer_trailer();
    enc.finish(body);
    if (trailer_sha) {
      auto t = cipher.seal_trailer({plain.size(), *trailer_sha, std::nullopt, 0});
      body.insert(body.end(), t.begin(), t.end());
    }
    auto writer = store_->create(key, crypto::encode_header(header));
    writer->write(body);
    writer->commit();
  }

  crypto::Header header_of(const std::string& key) { return crypto::decode_header(store_->head(key).header); }

  // The plaintext as the gateway would serve it to store "default".
  // The plaintext as a GET of the object under `target` would send it.
  Bytes read_as(const ReadTarget& target) {
    Bytes out;
    Metrics metrics;
    ObjectOpener opener(*store_, keys_, metrics, target, "");
    opener.open();
    for (auto piece = opener.next(); !piece.empty(); piece = opener.next())
      out.insert(out.end(), piece.begin(), piece.end());
    return out;
  }

  Bytes get(const std::string& key, unsigned min_format = 1) {
    return read_as(ReadTarget{{"default", key}, min_format});
  }

  ResealResult reseal(const std::string& key, ResealOptions options = {}) {
    if (options.store_id.empty()) options.store_id = "default";
    return reseal_object(*store_, keys_, options, key);
  }

  haul::testing::TempDir temp_{"haul-reseal-test"};
  const sfs::path dir_ = temp_.path();
  std::unique_ptr<store::Store> store_;
  crypto::Keyring keys_ = crypto::Keyring::parse(crypto::Keyring::generate_line(1) + crypto::Keyring::generate_line(2));
};

}  // namespace

TEST_F(ResealTest, FormatOneBecomesFormatThreeWithTheSameBytes) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{65536}, size_t{3 * 65536 + 7}, size_t{2 * 1024 * 1024 + 3}}) {
    SCOPED_TRACE(size);
    const std::string key = "dir/obj-" + std::to_string(size);
    const Bytes plain = pattern(size, static_cast<uint32_t>(size));
    put(key, plain, 1, 1);
    ASSERT_EQ(get(key), plain);
    EXPECT_EQ(haul::testing::error_kind_of([&] { get(key, 2); }), ErrorKind::integrity);  // --min-format 2 refuses it

    ResealOptions dry;
    dry.dry_run = true;
    EXPECT_EQ(reseal(key, dry).outcome, ResealOutcome::resealed);
    EXPECT_EQ(header_of(key).version, 1);  // a dry run writes nothing

    auto r = reseal(key);
    EXPECT_EQ(r.outcome, ResealOutcome::resealed) << r.detail;
    EXPECT_EQ(r.from_format, 1u);
    EXPECT_EQ(r.from_key_id, 1u);
    EXPECT_EQ(header_of(key).version, 3);
    EXPECT_EQ(header_of(key).key_id, 2u);  // sealed under the newest key
    EXPECT_EQ(get(key, 2), plain);
    // Bound now: under another store id it no longer opens.
    EXPECT_EQ(haul::testing::error_kind_of([&] { read_as(ReadTarget{{"us", key}, 1}); }), ErrorKind::integrity);
    EXPECT_EQ(reseal(key).outcome, ResealOutcome::current);  // idempotent
  }
}

TEST_F(ResealTest, RotateMovesFormatTwoObjectsToTheNewestKey) {
  const Bytes plain = pattern(100000, 5);
  put("k", plain, 2, 1);
  EXPECT_EQ(reseal("k").outcome, ResealOutcome::current);
  EXPECT_EQ(header_of("k").key_id, 1u);
  ResealOptions rotate;
  rotate.rotate = true;
  EXPECT_EQ(reseal("k", rotate).outcome, ResealOutcome::resealed);
  EXPECT_EQ(header_of("k").key_id, 2u);
  EXPECT_EQ(get("k", 2), plain);
  EXPECT_EQ(reseal("k", rotate).outcome, ResealOutcome::current);
}

// A format-3 object keeps its metadata and its trailer's digests (an S3
// ETag) through a rotation; one whose MD5 is not its content's is left alone.
TEST_F(ResealTest, RotateKeepsFormatThreeMetadataAndDigests) {
  const Bytes plain = pattern(200000, 9);
  const crypto::Metadata metadata{{"content-type", "text/plain"}, {"x-amz-meta-owner", "alice"}};
  const std::pair<std::optional<std::array<uint8_t, 32>>, uint32_t> trailers[] = {
      {crypto::sha256(plain), 0},  // SHA-256 and MD5(plaintext)
      {std::nullopt, 3},           // an S3 multipart ETag, no SHA-256
  };
  for (const auto& [sha, parts] : trailers) {
    SCOPED_TRACE(parts);
    auto header = crypto::new_header(*keys_.find(1), crypto::kDefaultSegmentSize, metadata);
    crypto::ObjectCipher cipher(keys_, header, {"default", "m"});
    crypto::StreamEncryptor enc(cipher);
    const crypto::ObjectCipher::TrailerContents totals{plain.size(), sha, crypto::md5(plain), parts};
    enc.set_object_totals(totals);
    Bytes body;
    enc.update(plain, body);
    enc.finish(body);
    auto writer = store_->create("m", crypto::encode_header(header));
    writer->write(body);
    writer->commit();

    ResealOptions rotate;
    rotate.rotate = true;
    auto r = reseal("m", rotate);
    EXPECT_EQ(r.outcome, ResealOutcome::resealed) << r.detail;
    EXPECT_EQ(header_of("m").version, 3);
    EXPECT_EQ(header_of("m").key_id, 2u);
    EXPECT_EQ(header_of("m").metadata, metadata);
    EXPECT_EQ(get("m", 3), plain);
    auto s = summarize_object(*store_, keys_, ReadTarget{{"default", "m"}, 3});
    EXPECT_EQ(s.md5, crypto::md5(plain));
    EXPECT_EQ(s.etag_parts, parts);
    EXPECT_EQ(s.sha256_hex, sha ? crypto::sha256_hex(plain) : "");
    EXPECT_EQ(s.metadata, metadata);
  }
  // An MD5 that is not the content's (etag_parts 0 claims MD5(plaintext)).
  auto header = crypto::new_header(*keys_.find(1));
  crypto::ObjectCipher cipher(keys_, header, {"default", "bad"});
  crypto::StreamEncryptor enc(cipher);
  enc.set_object_totals({plain.size(), crypto::sha256(plain), crypto::Md5Digest{}, 0});
  Bytes body;
  enc.update(plain, body);
  enc.finish(body);
  auto writer = store_->create("bad", crypto::encode_header(header));
  writer->write(body);
  writer->commit();
  ResealOptions rotate;
  rotate.rotate = true;
  auto r = reseal("bad", rotate);
  EXPECT_EQ(r.outcome, ResealOutcome::failed);
  EXPECT_NE(r.detail.find("MD5"), std::string::npos) << r.detail;
  EXPECT_EQ(header_of("bad").key_id, 1u);
}

// A renamed store: its format-2 objects move from the old id to the new one,
// and a second (or interrupted and resumed) run finds them done.
TEST_F(ResealTest, FromStoreIdMovesObjectsToTheNewId) {
  const Bytes plain = pattern(70000, 8);
  put("k", plain, 2, 2);
  put("old", plain, 1, 1);
  ResealOptions rename = options_for("eu");
  rename.from_store_id = "default";
  for (int run = 0; run < 2; ++run) {
    auto r = reseal_object(*store_, keys_, rename, "k");
    EXPECT_EQ(r.outcome, run == 0 ? ResealOutcome::resealed : ResealOutcome::current) << r.detail;
    r = reseal_object(*store_, keys_, rename, "old");  // format 1: bound to the new id at once
    EXPECT_EQ(r.outcome, run == 0 ? ResealOutcome::resealed : ResealOutcome::current) << r.detail;
  }
  for (const char* key : {"k", "old"}) {
    EXPECT_EQ(read_as(ReadTarget{{"eu", key}, 2}), plain) << key;
    EXPECT_EQ(haul::testing::error_kind_of([&] { get(key); }), ErrorKind::integrity);  // not "default" any more
  }
}

// Another gateway's PUT lands while reseal streams the old version: reseal
// must not overwrite it with the old content.
TEST_F(ResealTest, AWriteDuringTheStreamWins) {
  put("k", pattern(300000, 1), 1, 1);
  const Bytes newer = pattern(1000, 2);
  InterleavingStore racing(*store_);
  racing.after_read = [&] { put("k", newer, 2, 2); };
  auto r = reseal_object(racing, keys_, options_for("default"), "k");
  EXPECT_EQ(r.outcome, ResealOutcome::changed) << r.detail;
  EXPECT_EQ(get("k"), newer);
  // A delete during the stream: the key stays deleted.
  put("gone", pattern(1000, 3), 1, 1);
  racing.after_read = [&] { store_->remove("gone"); };
  EXPECT_EQ(reseal_object(racing, keys_, options_for("default"), "gone").outcome, ResealOutcome::changed);
  EXPECT_EQ(haul::testing::error_kind_of([&] { store_->head("gone"); }), ErrorKind::not_found);
  // No temp file of the abandoned re-seals is left behind (the store's own
  // per-instance temp directory, store/fs_instance.hpp, stays while it lives).
  for (const auto& entry : sfs::recursive_directory_iterator(dir_ / "tmp")) {
    EXPECT_TRUE(entry.is_directory()) << entry.path();
  }
}

TEST_F(ResealTest, DamagedOrForeignObjectsAreLeftAlone) {
  // A flipped body byte: authentication fails, the stored file is untouched.
  put("damaged", pattern(5000, 4), 1, 1);
  const auto path = dir_ / "objects" / "damaged.obj";
  auto before = sfs::file_size(path);
  {
    // XOR, not a fixed byte: the ciphertext byte there is random and would
    // already be any fixed value once in 256 runs (that left it undamaged).
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(before - 100);
    f.seekg(at);
    const int byte = f.get();
    ASSERT_NE(byte, std::char_traits<char>::eof());
    f.seekp(at);
    f.put(static_cast<char>(byte ^ 0x01));
  }
  auto r = reseal("damaged");
  EXPECT_EQ(r.outcome, ResealOutcome::failed);
  EXPECT_NE(r.detail.find("authentication"), std::string::npos) << r.detail;
  EXPECT_EQ(header_of("damaged").version, 1);
  // A trailer whose digest is not the content's (a parts upload's client
  // declared a wrong one): kept as it is, not sealed with another digest.
  const Bytes plain = pattern(5000, 6);
  put("declared", plain, 1, 1, std::array<uint8_t, 32>{});
  r = reseal("declared");
  EXPECT_EQ(r.outcome, ResealOutcome::failed);
  EXPECT_NE(r.detail.find("SHA-256"), std::string::npos) << r.detail;
  EXPECT_EQ(header_of("declared").version, 1);
  // A format-2 object sealed for another key, copied here: reseal --rotate
  // cannot launder it into a valid object.
  put("alice", pattern(5000, 7), 2, 1);
  sfs::copy_file(dir_ / "objects" / "alice.obj", dir_ / "objects" / "bob.obj");
  ResealOptions rotate;
  rotate.rotate = true;
  EXPECT_EQ(reseal("bob", rotate).outcome, ResealOutcome::failed);
  EXPECT_EQ(haul::testing::error_kind_of([&] { get("bob"); }), ErrorKind::integrity);
}

TEST_F(ResealTest, StoreWalkCountsEveryOutcome) {
  put("a/1", pattern(10, 1), 1, 1);
  put("a/2", pattern(10, 2), 2, 2);
  put("a/3", pattern(10, 3), 1, 2);
  put("b/1", pattern(10, 4), 1, 1);
  std::vector<std::string> seen;
  ResealOptions options = options_for("default");
  options.prefix = "a/";
  auto totals =
      reseal_store(*store_, keys_, options, [&](const std::string& key, const ResealResult&) { seen.push_back(key); });
  EXPECT_EQ(seen, (std::vector<std::string>{"a/1", "a/2", "a/3"}));
  EXPECT_EQ(totals.resealed, 2u);
  EXPECT_EQ(totals.current, 1u);
  EXPECT_EQ(totals.changed + totals.failed, 0u);
  EXPECT_EQ(header_of("b/1").version, 1);  // outside the prefix
}
