// S3 store: the Store interface mapped onto S3 calls through s3io::Client.
#include "store/s3_store.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "http_client/exchange.hpp"
#include "s3/responses.hpp"
#include "s3/store_url.hpp"
#include "store/s3_client.hpp"
#include "store/s3_writers.hpp"

namespace haul::store {
namespace {

using s3io::Client;
using s3io::kHeaderMeta;
using s3io::kMinPartSize;
using s3io::ok;
using s3io::Request;
using s3io::Response;
using s3io::throw_for;
using s3io::Uploads;
// Short parts of parts-API uploads wait here (under the store prefix) until
// complete_upload; keys under it are reserved and hidden from list().
constexpr std::string_view kSideDir = ".haul-parts/";
constexpr size_t kMaxShortTail = 4;  // short parts allowed at the end of an upload

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

haul::s3::Credentials load_credentials(const haul::s3::StoreUrl& url) {
  const char* env_profile = std::getenv("AWS_PROFILE");
  std::string profile = url.profile != "default" || !env_profile ? url.profile : env_profile;
  if (!url.credentials_file.empty()) {
    std::string text = read_file(url.credentials_file);
    if (text.empty()) throw Error(ErrorKind::config, "cannot read S3 credentials file " + url.credentials_file);
    auto c = haul::s3::parse_credentials_ini(text, profile);
    if (!c) throw Error(ErrorKind::config, "no profile [" + profile + "] with keys in " + url.credentials_file);
    return *c;
  }
  const char* ak = std::getenv("AWS_ACCESS_KEY_ID");
  const char* sk = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (ak && sk && *ak && *sk) {
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    return {ak, sk, token ? token : ""};
  }
  if (const char* home = std::getenv("HOME")) {
    if (auto c = haul::s3::parse_credentials_ini(read_file(std::string(home) + "/.aws/credentials"), profile))
      return *c;
  }
  throw Error(ErrorKind::config,
              "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, add credentials=FILE to the "
              "store URL, or write ~/.aws/credentials");
}

// The format header, hex-encoded, in one x-amz-meta value. The largest
// header (format 3 with 8 KiB of object metadata, 8248 bytes; docs/format.md
// section 2.1) must fit. AWS S3 caps all user metadata of an object at 2 KB,
// so there this value, and with it a format-3 object's metadata, is limited
// to about 900 bytes of metadata; splitting the value over several
// x-amz-meta keys would not lift that cap. Ceph RGW has no metadata cap, but
// its beast frontend refuses request headers over 16 KiB by default
// (`max_header_size`): raise it for more than ~7 KiB of metadata.
constexpr size_t kMaxHeaderBytes = 9 * 1024;

std::string header_meta(std::span<const uint8_t> header) {
  if (header.size() > kMaxHeaderBytes) throw Error(ErrorKind::bad_request, "format header too large for S3 metadata");
  return to_hex(header);
}

s3io::ClientConfig client_config(const S3StoreOptions& options) {
  s3io::ClientConfig config;
  config.store_name = options.name;
  return config;
}

// The head of an object from a HEAD or GET answer.
ObjectHead head_from(const Response& r, std::string_view key) {
  ObjectHead head;
  const std::string* meta = r.header(kHeaderMeta);
  auto bytes = meta ? from_hex(*meta) : std::nullopt;
  if (!bytes)
    throw Error(ErrorKind::integrity, "S3 object '" + std::string(key) + "' has no valid haul header metadata");
  head.header = std::move(*bytes);
  if (const std::string* range = r.header("content-range"); range && r.status == 206) {
    size_t slash = range->rfind('/');
    if (slash == std::string::npos || (*range)[slash + 1] == '*') {
      throw Error(ErrorKind::backend_unavailable, "S3 answered a range without the object size: " + *range);
    }
    head.body_size = std::strtoull(range->c_str() + slash + 1, nullptr, 10);
  } else if (const std::string* length = r.header("content-length")) {
    head.body_size = std::strtoull(length->c_str(), nullptr, 10);
  }
  if (const std::string* lm = r.header("last-modified")) {
    head.mtime_unix = http_client::parse_http_date(*lm).value_or(0);
  }
  return head;
}

// A body range pulled through one GET (s3io::BodyTransfer): idle between reads.
class S3BodyReader final : public BodyReader {
 public:
  S3BodyReader(ObjectHead head, std::shared_ptr<Client> client, std::unique_ptr<s3io::BodyTransfer> transfer)
      : head_(std::move(head)), client_(std::move(client)), transfer_(std::move(transfer)) {}

  const ObjectHead& head() const override { return head_; }
  size_t read(std::span<uint8_t> out) override { return transfer_ ? transfer_->read(out) : 0; }

 private:
  ObjectHead head_;
  std::shared_ptr<Client> client_;                // outlives the transfer, which returns its handle there
  std::unique_ptr<s3io::BodyTransfer> transfer_;  // none for an empty range
};

class S3Store final : public Store {
 public:
  S3Store(haul::s3::StoreUrl url, haul::s3::Credentials credentials, const S3StoreOptions& options)
      : prefix_(url.prefix),
        options_(options),
        client_(std::make_shared<Client>(std::move(url), std::move(credentials), client_config(options))) {
    if (options_.part_size < kMinPartSize) throw Error(ErrorKind::config, "S3 part size must be at least 5 MiB");
  }

  std::string describe() const override {
    const auto& u = client_->url();
    return "s3://" + u.bucket + "/" + u.prefix + " at " + u.scheme + "://" + u.host;
  }

  std::unique_ptr<ObjectWriter> create(std::string_view key, std::span<const uint8_t> header) override {
    return s3io::make_object_writer(client_, full_key(key), header_meta(header), options_.part_size);
  }

  std::unique_ptr<BodyReader> open(std::string_view key, const BodyRange& range) override {
    std::string full = full_key(key);
    if ((range.length && *range.length == 0) || (range.suffix_length && *range.suffix_length == 0)) {
      return std::make_unique<S3BodyReader>(head(key), client_, nullptr);  // S3 has no way to ask for zero bytes
    }
    Request r{"get", "GET", full, {}, {}, {}, true};
    bool ranged = false;
    if (range.suffix_length) {
      r.headers.emplace_back("range", "bytes=-" + std::to_string(*range.suffix_length));
      ranged = true;
    } else if (range.offset > 0 || range.length) {
      std::string last = range.length ? std::to_string(range.offset + *range.length - 1) : "";
      r.headers.emplace_back("range", "bytes=" + std::to_string(range.offset) + "-" + last);
      ranged = true;
    }
    std::unique_ptr<s3io::BodyTransfer> transfer = client_->open_body(r);
    const Response& resp = transfer->response();
    if (ok(resp)) {
      if (ranged && resp.status != 206) {
        throw Error(ErrorKind::backend_unavailable,
                    "S3 ignored a Range request (status " + std::to_string(resp.status) + ")");
      }
      ObjectHead object_head = head_from(resp, key);
      return std::make_unique<S3BodyReader>(std::move(object_head), client_, std::move(transfer));
    }
    if (resp.status == 416) {
      // The range starts past the end: like the fs store, the head and no bytes.
      transfer.reset();
      return std::make_unique<S3BodyReader>(head(key), client_, nullptr);
    }
    throw_for(resp, "reading", key);
  }

  ObjectHead head(std::string_view key) override {
    std::string full = full_key(key);
    Response resp = client_->perform(Request{"head", "HEAD", full, {}, {}, {}, true});
    if (!ok(resp)) throw_for(resp, "looking up", key);
    return head_from(resp, key);
  }

  void remove(std::string_view key) override {
    std::string full = full_key(key);
    // S3's DELETE succeeds for absent keys; the interface wants not_found.
    head(key);
    Response resp = client_->perform(Request{"delete", "DELETE", full, {}, {}, {}, true});
    if (!ok(resp)) throw_for(resp, "removing", key);
  }

  ListPage list(std::string_view prefix, std::string_view start_after, size_t limit) override {
    if (limit == 0 || limit > 1000) limit = 1000;
    Request r{
        "list", "GET",
        "",     {{"list-type", "2"}, {"prefix", prefix_ + std::string(prefix)}, {"max-keys", std::to_string(limit)}},
        {},     {},
        true};
    if (!start_after.empty()) r.query.emplace_back("start-after", prefix_ + std::string(start_after));
    Response resp = client_->perform(r);
    if (!ok(resp)) throw_for(resp, "listing", prefix);
    auto result = haul::s3::parse_list_bucket_v2(resp.body);
    ListPage page;
    for (auto& o : result.contents) {
      if (!o.key.starts_with(prefix_) || std::string_view(o.key).substr(prefix_.size()).starts_with(kSideDir)) continue;
      page.entries.push_back({o.key.substr(prefix_.size()), o.size, o.mtime_unix, {}});
    }
    if (result.is_truncated && !page.entries.empty()) page.next_after = page.entries.back().key;
    return page;
  }

  std::string begin_upload(std::string_view key, std::span<const uint8_t> header) override {
    return Uploads{*client_}.initiate(full_key(key), header_meta(header));
  }

  std::unique_ptr<ObjectWriter> open_part(std::string_view upload_id, std::string_view key, uint32_t part_number,
                                          uint64_t /*body_offset: S3 orders parts by number*/) override {
    check_upload_id(upload_id);
    if (part_number < 1 || part_number > 10000) throw Error(ErrorKind::bad_request, "S3 part numbers are 1..10000");
    return s3io::make_part_writer(client_, full_key(key), std::string(upload_id), part_number, options_.max_part_size,
                                  side_prefix(upload_id) + std::to_string(part_number));
  }

  void complete_upload(std::string_view upload_id, std::string_view key, uint32_t part_count) override {
    check_upload_id(upload_id);
    if (part_count < 1 || part_count > 10000) throw Error(ErrorKind::bad_request, "part count must be 1..10000");
    std::string full = full_key(key);
    std::string id(upload_id);
    // State lives in S3: the parts may come from other gateway processes.
    std::map<uint32_t, haul::s3::PartEntry> big;
    for (auto& p : list_parts(full, id)) big[p.part_number] = p;
    std::set<uint32_t> short_parts = list_short_parts(id);

    // Parts 1..t-1 must be full S3 parts; parts t..part_count may be short
    // (the client's last part and the trailer) and are joined into part t.
    uint32_t tail = part_count + 1;
    while (tail > 1 && short_parts.count(tail - 1)) --tail;
    std::vector<haul::s3::PartEntry> chosen;
    for (uint32_t n = 1; n < tail; ++n) {
      auto it = big.find(n);
      if (it == big.end()) {
        throw Error(ErrorKind::conflict, "upload of '" + std::string(key) + "' has no part " + std::to_string(n) +
                                             (short_parts.count(n) ? " of at least 5 MiB (S3's minimum)" : ""));
      }
      chosen.push_back(it->second);
    }
    Uploads uploads{*client_};
    if (tail <= part_count) {
      if (part_count - tail + 1 > kMaxShortTail) {
        throw Error(ErrorKind::bad_request,
                    "more than " + std::to_string(kMaxShortTail) + " parts under 5 MiB at the end of an S3 upload");
      }
      std::vector<uint8_t> joined;  // at most kMaxShortTail x 5 MiB
      for (uint32_t n = tail; n <= part_count; ++n) {
        Response resp =
            client_->perform(Request{"get_short_part", "GET", side_prefix(id) + std::to_string(n), {}, {}, {}, true});
        if (!ok(resp)) throw_for(resp, "reading a short part of", full);
        joined.insert(joined.end(), resp.body.begin(), resp.body.end());
      }
      chosen.push_back(uploads.upload_part(full, id, tail, joined));
    }
    uploads.complete(full, id, chosen);
    remove_short_parts(id, short_parts);
  }

  void abort_upload(std::string_view upload_id, std::string_view key) override {
    check_upload_id(upload_id);
    remove_short_parts(std::string(upload_id), list_short_parts(std::string(upload_id)));
    Uploads{*client_}.abort(full_key(key), std::string(upload_id));
  }

  // Multipart uploads under this store's prefix initiated more than max_age
  // ago: a parts upload never completed, or a PUT whose gateway was killed
  // before it could abort. Their short parts go too. (A bucket lifecycle
  // rule AbortIncompleteMultipartUpload does the same from the S3 side.)
  size_t cleanup_expired_uploads(std::chrono::seconds max_age) override {
    const int64_t cutoff = static_cast<int64_t>(std::time(nullptr)) - max_age.count();
    size_t removed = 0;
    std::string key_marker, id_marker;
    for (;;) {
      Request r{
          "list_uploads", "GET", "", {{"uploads", ""}, {"prefix", prefix_}, {"max-uploads", "1000"}}, {}, {}, true};
      if (!key_marker.empty()) {
        r.query.emplace_back("key-marker", key_marker);
        r.query.emplace_back("upload-id-marker", id_marker);
      }
      Response resp = client_->perform(r);
      if (!ok(resp)) throw_for(resp, "listing the multipart uploads under", prefix_);
      auto page = haul::s3::parse_list_multipart_uploads(resp.body);
      for (const auto& u : page.uploads) {
        if (!u.initiated_unix || *u.initiated_unix > cutoff) continue;
        remove_short_parts(u.upload_id, list_short_parts(u.upload_id));
        try {
          Uploads{*client_}.abort(u.key, u.upload_id);
          ++removed;
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::not_found) throw;  // completed or aborted meanwhile
        }
      }
      if (!page.is_truncated || page.next_key_marker.empty()) break;
      key_marker = page.next_key_marker;
      id_marker = page.next_upload_id_marker;
    }
    return removed;
  }

  void probe() override {
    // One attempt (not idempotent for the retry policy): readiness wants the
    // state now, and a retry loop would hold the caller for seconds.
    Response resp = client_->perform(Request{"probe", "HEAD", "", {}, {}, {}, false});
    if (!ok(resp)) {
      throw Error(ErrorKind::backend_unavailable, "S3 bucket answered HEAD with " + std::to_string(resp.status));
    }
  }

 private:
  std::string full_key(std::string_view key) const {
    validate_key(key);
    if (key.starts_with(kSideDir)) throw Error(ErrorKind::bad_request, "keys under .haul-parts/ are reserved");
    return prefix_ + std::string(key);
  }

  std::string side_prefix(std::string_view upload_id) const {
    return prefix_ + std::string(kSideDir) + std::string(upload_id) + "/";
  }

  std::set<uint32_t> list_short_parts(const std::string& upload_id) {
    std::set<uint32_t> numbers;
    std::string dir = side_prefix(upload_id);
    Request r{"list", "GET", "", {{"list-type", "2"}, {"prefix", dir}, {"max-keys", "1000"}}, {}, {}, true};
    Response resp = client_->perform(r);
    if (!ok(resp)) throw_for(resp, "listing the short parts of upload", upload_id);
    for (const auto& o : haul::s3::parse_list_bucket_v2(resp.body).contents) {
      std::string_view n = std::string_view(o.key).substr(dir.size());
      uint32_t v = 0;
      auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
      if (ec == std::errc() && end == n.data() + n.size() && v >= 1 && v <= 10000) numbers.insert(v);
    }
    return numbers;
  }

  // Best effort: a leftover side object wastes space but is never visible.
  void remove_short_parts(const std::string& upload_id, const std::set<uint32_t>& numbers) {
    for (uint32_t n : numbers) {
      try {
        client_->perform(Request{"delete", "DELETE", side_prefix(upload_id) + std::to_string(n), {}, {}, {}, true});
      } catch (const Error&) {
      }
    }
  }

  static void check_upload_id(std::string_view id) {
    // The id becomes part of a side-object key: no '/' and nothing that is not printable.
    if (id.empty() || id.size() > 512) throw Error(ErrorKind::bad_request, "bad upload id");
    for (char c : id) {
      if (c == '/' || static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        throw Error(ErrorKind::bad_request, "bad upload id");
      }
    }
  }

  std::vector<haul::s3::PartEntry> list_parts(const std::string& full, const std::string& upload_id) {
    std::vector<haul::s3::PartEntry> all;
    std::optional<uint32_t> marker;
    for (int page = 0; page < 100; ++page) {
      Request r{"list_parts", "GET", full, {{"uploadId", upload_id}, {"max-parts", "1000"}}, {}, {}, true};
      if (marker) r.query.emplace_back("part-number-marker", std::to_string(*marker));
      Response resp = client_->perform(r);
      if (!ok(resp)) throw_for(resp, "listing the parts of", full);
      auto result = haul::s3::parse_list_parts(resp.body);
      all.insert(all.end(), result.parts.begin(), result.parts.end());
      if (!result.is_truncated || !result.next_part_number_marker) break;
      marker = result.next_part_number_marker;
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.part_number < b.part_number; });
    return all;
  }

  std::string prefix_;
  S3StoreOptions options_;
  std::shared_ptr<Client> client_;
};

}  // namespace

std::unique_ptr<Store> make_s3_store(std::string_view url, const S3StoreOptions& options) {
  haul::s3::StoreUrl parsed = haul::s3::parse_store_url(url);
  if (!parsed.ca_file.empty() && ::access(parsed.ca_file.c_str(), R_OK) != 0)
    throw Error(ErrorKind::config, "S3 store: cannot read ca_file " + parsed.ca_file);
  haul::s3::Credentials credentials = load_credentials(parsed);
  return std::make_unique<S3Store>(std::move(parsed), std::move(credentials), options);
}

std::unique_ptr<Store> make_s3_store(std::string_view url) {
  return make_s3_store(url, S3StoreOptions{});
}

}  // namespace haul::store
