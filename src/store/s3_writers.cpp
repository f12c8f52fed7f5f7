#include "store/s3_writers.hpp"

#include <future>
#include <optional>

#include "core/error.hpp"

namespace haul::store::s3io {

[[noreturn]] void throw_for(const Response& r, std::string_view what, std::string_view key) {
  auto err = haul::s3::parse_error(r.body);
  std::string code = err ? err->code : "";
  std::string detail = std::string(what) + " '" + std::string(key) + "': S3 answered " + std::to_string(r.status) +
                       (code.empty() ? "" : " " + code) +
                       (err && !err->message.empty() ? " (" + err->message + ")" : "");
  if (r.status == 404) {
    if (code == "NoSuchUpload") throw Error(ErrorKind::not_found, "no such upload for '" + std::string(key) + "'");
    if (code == "NoSuchBucket") throw Error(ErrorKind::backend_unavailable, detail + ": the bucket does not exist");
    throw Error(ErrorKind::not_found, "no such object '" + std::string(key) + "'");
  }
  if (r.status == 416) throw Error(ErrorKind::range_not_satisfiable, detail);
  if (r.status == 400 &&
      (code == "EntityTooSmall" || code == "InvalidPart" || code == "InvalidPartOrder" || code == "EntityTooLarge")) {
    throw Error(ErrorKind::bad_request, detail);
  }
  if (r.status == 403) throw Error(ErrorKind::backend_unavailable, detail + ": check the S3 credentials");
  throw Error(ErrorKind::backend_unavailable, detail);
}

namespace {
std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

std::string Uploads::initiate(const std::string& full_key, const std::string& meta) const {
  // Not idempotent: a retried CreateMultipartUpload could leave an orphan upload.
  Request r{"initiate", "POST", full_key, {{"uploads", ""}}, {{kHeaderMeta, meta}}, {}, false};
  Response resp = client.perform(r);
  if (!ok(resp)) throw_for(resp, "starting a multipart upload of", full_key);
  return haul::s3::parse_initiate_multipart_upload(resp.body).upload_id;
}

haul::s3::PartEntry Uploads::upload_part(const std::string& full_key, const std::string& upload_id, uint32_t number,
                                         std::span<const uint8_t> body) const {
  Request r{"upload_part", "PUT", full_key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, {},
            body,          true};
  Response resp = client.perform(r);
  if (!ok(resp)) throw_for(resp, "uploading a part of", full_key);
  const std::string* etag = resp.header("etag");
  if (!etag || etag->empty()) throw Error(ErrorKind::backend_unavailable, "S3 part upload answered without an ETag");
  return {number, *etag, body.size()};
}

void Uploads::complete(const std::string& full_key, const std::string& upload_id,
                       const std::vector<haul::s3::PartEntry>& parts) const {
  std::string body = haul::s3::complete_multipart_upload_body(parts);
  Request r{"complete", "POST", full_key, {{"uploadId", upload_id}}, {}, bytes_of(body), true};
  Response resp = client.perform(r);
  if (!ok(resp)) throw_for(resp, "completing the upload of", full_key);
  try {
    haul::s3::parse_complete_multipart_upload(resp.body);  // a 200 may still carry an <Error>
  } catch (const haul::s3::S3ErrorResponse& e) {
    Response as_error{e.response.code == "NoSuchUpload" ? 404L : 400L, {}, resp.body};
    throw_for(as_error, "completing the upload of", full_key);
  }
}

void Uploads::abort(const std::string& full_key, const std::string& upload_id) const {
  Request r{"abort", "DELETE", full_key, {{"uploadId", upload_id}}, {}, {}, true};
  Response resp = client.perform(r);
  if (!ok(resp)) throw_for(resp, "aborting the upload of", full_key);
}

namespace {

// create(): buffers up to part_size; a small object is one PUT at commit, a
// bigger one a multipart upload started when the first buffer fills. An
// uncommitted writer aborts its multipart upload when destroyed.
class S3ObjectWriter final : public ObjectWriter {
 public:
  S3ObjectWriter(std::shared_ptr<Client> client, std::string full_key, std::string meta, size_t part_size)
      : client_(std::move(client)), full_key_(std::move(full_key)), meta_(std::move(meta)), part_size_(part_size) {}

  ~S3ObjectWriter() override {
    if (in_flight_.valid()) {
      try {
        in_flight_.get();
      } catch (...) {
      }
    }
    if (upload_id_ && !committed_) {
      try {
        Uploads{*client_}.abort(full_key_, *upload_id_);
      } catch (...) {
        // Best effort: the backend is failing. A bucket lifecycle rule
        // (AbortIncompleteMultipartUpload) is the safety net; see docs/s3.md.
      }
    }
  }

  void write(std::span<const uint8_t> bytes) override {
    if (committed_) throw Error(ErrorKind::internal, "write after commit");
    while (!bytes.empty()) {
      if (buffer_.capacity() < part_size_) buffer_.reserve(part_size_);
      size_t take = std::min(bytes.size(), part_size_ - buffer_.size());
      buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(take));
      bytes = bytes.subspan(take);
      if (buffer_.size() == part_size_) flush_part();
    }
  }

  void commit() override {
    if (committed_) return;
    if (!upload_id_) {
      Request r{"put", "PUT", full_key_, {}, {{kHeaderMeta, meta_}}, buffer_, true};
      Response resp = client_->perform(r);
      if (!ok(resp)) throw_for(resp, "storing", full_key_);
    } else {
      if (!buffer_.empty()) flush_part();
      wait_in_flight();
      Uploads{*client_}.complete(full_key_, *upload_id_, parts_);
    }
    committed_ = true;
    buffer_ = {};
  }

 private:
  // Sends the full buffer as the next part in the background, so the next
  // buffer fills while this one is on the wire: one part in flight at most
  // (memory: two part buffers), and write() still blocks when both are busy.
  void flush_part() {
    if (!upload_id_) upload_id_ = Uploads{*client_}.initiate(full_key_, meta_);
    wait_in_flight();
    std::swap(buffer_, sending_);
    buffer_.clear();
    uint32_t number = ++parts_started_;
    in_flight_ = std::async(std::launch::async, [this, number] {
      return Uploads{*client_}.upload_part(full_key_, *upload_id_, number, sending_);
    });
  }

  void wait_in_flight() {
    if (in_flight_.valid()) parts_.push_back(in_flight_.get());  // rethrows the part's failure
  }

  std::shared_ptr<Client> client_;
  std::string full_key_;
  std::string meta_;
  size_t part_size_;
  std::vector<uint8_t> buffer_;   // filling
  std::vector<uint8_t> sending_;  // the part in flight (owned by in_flight_ until it is ready)
  std::future<haul::s3::PartEntry> in_flight_;
  uint32_t parts_started_ = 0;
  std::optional<std::string> upload_id_;
  std::vector<haul::s3::PartEntry> parts_;
  bool committed_ = false;
};

// open_part(): one part of a parts-API upload, buffered whole (S3 needs its
// length) and sent by commit(). Nothing is sent if it is never committed.
class S3PartWriter final : public ObjectWriter {
 public:
  S3PartWriter(std::shared_ptr<Client> client, std::string full_key, std::string upload_id, uint32_t number,
               size_t max_size, std::string side_key)
      : side_key_(std::move(side_key)),
        client_(std::move(client)),
        full_key_(std::move(full_key)),
        upload_id_(std::move(upload_id)),
        number_(number),
        max_size_(max_size) {}

  void write(std::span<const uint8_t> bytes) override {
    if (buffer_.size() + bytes.size() > max_size_) {
      throw Error(ErrorKind::payload_too_large,
                  "part larger than the S3 store's " + std::to_string(max_size_) + " byte part limit");
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  }

  void commit() override {
    if (buffer_.size() < kMinPartSize) {
      // Maybe the last data part or the trailer: S3 refuses it as a part
      // unless it is the last, so it waits in S3 as a side object until
      // complete_upload knows which parts end the object.
      Request r{"put_short_part", "PUT", side_key_, {}, {}, buffer_, true};
      Response resp = client_->perform(r);
      if (!ok(resp)) throw_for(resp, "storing a short part of", full_key_);
    } else {
      Uploads{*client_}.upload_part(full_key_, upload_id_, number_, buffer_);
    }
    buffer_ = {};
  }

 private:
  std::string side_key_;
  std::shared_ptr<Client> client_;
  std::string full_key_;
  std::string upload_id_;
  uint32_t number_;
  size_t max_size_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

std::unique_ptr<ObjectWriter> make_object_writer(std::shared_ptr<Client> client, std::string full_key, std::string meta,
                                                 size_t part_size) {
  return std::make_unique<S3ObjectWriter>(std::move(client), std::move(full_key), std::move(meta), part_size);
}

std::unique_ptr<ObjectWriter> make_part_writer(std::shared_ptr<Client> client, std::string full_key,
                                               std::string upload_id, uint32_t number, size_t max_size,
                                               std::string side_key) {
  return std::make_unique<S3PartWriter>(std::move(client), std::move(full_key), std::move(upload_id), number, max_size,
                                        std::move(side_key));
}

}  // namespace haul::store::s3io
