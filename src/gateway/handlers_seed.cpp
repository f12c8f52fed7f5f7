// POST /upload/files: the seed's python-requests multipart upload, streamed.
// The `data` part (JSON with the key) must come first; the `file` part then
// flows through encryption into the store without being held whole.
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "crypto/stream_format.hpp"
#include "gateway/handlers.hpp"
#include "gateway/seal_pipeline.hpp"
#include "http/multipart.hpp"

namespace haul::gateway {

namespace {

constexpr size_t kMaxDataPart = 64 * 1024;

// Multipart events -> key from `data`, bytes of `file` into a SealPipeline.
// Runs on the blocking pool (feed() may create the store writer and write).
class SeedUploadHandler : public http::MultipartParser::Handler {
 public:
  SeedUploadHandler(GatewayContext& ctx, store::Store& store, std::string store_name)
      : ctx_(ctx), store_(store), store_name_(std::move(store_name)) {}

  void on_part_begin(const http::PartInfo& part) override {
    current_ = Part::other;
    if (part.name == "data") {
      if (seen_data_) throw Error(ErrorKind::bad_request, "two 'data' parts");
      current_ = Part::data;
      seen_data_ = true;
    } else if (part.name == "file") {
      if (pipe_ || sealed_) throw Error(ErrorKind::bad_request, "two 'file' parts");
      if (!seen_data_)
        throw Error(ErrorKind::bad_request, "the 'data' part (JSON with the key) must come before 'file'");
      current_ = Part::file;
      start_file();
    }
  }

  void on_part_data(std::span<const uint8_t> bytes) override {
    if (current_ == Part::data) {
      if (data_.size() + bytes.size() > kMaxDataPart)
        throw Error(ErrorKind::payload_too_large, "'data' part over 64 KiB");
      data_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    } else if (current_ == Part::file) {
      pipe_->write(bytes);
    }
  }

  void on_part_end() override {
    if (current_ == Part::file) file_done_ = true;
    current_ = Part::other;
  }

  // After the parser saw the closing boundary.
  SealResult commit() {
    if (!seen_data_) throw Error(ErrorKind::bad_request, "missing 'data' part");
    if (!pipe_ || !file_done_) throw Error(ErrorKind::bad_request, "missing 'file' part");
    auto result = pipe_->commit();
    sealed_ = true;
    return result;
  }

  const std::string& key() const { return key_; }
  std::unique_ptr<SealPipeline>& pipe() { return pipe_; }

 private:
  enum class Part { other, data, file };

  void start_file() {
    nlohmann::json meta;
    try {
      meta = nlohmann::json::parse(data_);
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorKind::bad_request, "'data' part is not JSON");
    }
    if (!meta.is_object() || !meta.contains("key") || !meta["key"].is_string()) {
      throw Error(ErrorKind::bad_request, "'data' JSON needs a string \"key\"");
    }
    key_ = meta["key"].get<std::string>();
    store::validate_key(key_);
    header_ = crypto::new_header(ctx_.keys.newest());
    cipher_ = std::make_unique<crypto::ObjectCipher>(ctx_.keys, header_, object_identity(ctx_, store_name_, key_));
    pipe_ = std::make_unique<SealPipeline>(*cipher_, store_.create(key_, crypto::encode_header(header_)), ctx_.metrics);
  }

  GatewayContext& ctx_;
  store::Store& store_;
  std::string store_name_;
  Part current_ = Part::other;
  bool seen_data_ = false;
  bool file_done_ = false;
  bool sealed_ = false;
  std::string data_;
  std::string key_;
  crypto::Header header_;
  std::unique_ptr<crypto::ObjectCipher> cipher_;
  std::unique_ptr<SealPipeline> pipe_;
};

}  // namespace

asio::awaitable<void> handle_seed_upload(GatewayContext& ctx, Exchange& ex, const Route& route) {
  if (ex.request().method != "POST") method_not_allowed(ex.request().method, "POST");
  auto started = std::chrono::steady_clock::now();
  store::Store& store = pick_store(ctx, ex, route);
  auto boundary = http::multipart_boundary(ex.request().header("content-type"));
  if (!boundary) throw Error(ErrorKind::bad_request, "expected multipart/form-data with a boundary");
  SeedUploadHandler handler(ctx, store, store_name(ctx, ex, route));
  http::MultipartParser parser(*boundary, handler);
  std::exception_ptr failure;
  SealResult result;
  try {
    for (;;) {
      auto chunk = co_await ex.read_body();
      if (chunk.empty()) break;
      co_await ex.blocking([&] { parser.feed(chunk); });
    }
    co_await ex.blocking([&] {
      parser.finish();
      result = handler.commit();
    });
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard_on_pool(ex, handler.pipe());
  if (failure) std::rethrow_exception(failure);
  co_await respond_json(ex, 201, upload_answer(handler.key(), result, started));
}

}  // namespace haul::gateway
