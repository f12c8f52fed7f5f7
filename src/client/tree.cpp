#include "client/tree.hpp"

#include <nlohmann/json.hpp>

#include "client/get_op.hpp"
#include "client/put_op.hpp"

namespace haul::client {

OpGroup::OpGroup(unsigned inflight, OnFinished on_finished)
    : queue_(inflight), inflight_(inflight), on_finished_(std::move(on_finished)) {}

void OpGroup::record_failure(const Error& e) {
  ++failed_;
  if (!first_error_) first_error_ = e;
  stopping_ = true;
}

void OpGroup::reap() {
  for (size_t i = 0; i < active_.size();) {
    if (active_[i]->finished()) {
      Op& op = *active_[i];
      if (op.error())
        record_failure(*op.error());
      else
        ++succeeded_;
      if (on_finished_) on_finished_(op.stats(), op.error());
      active_.erase(active_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
}

std::unique_ptr<Request> OpGroup::next() {
  reap();
  std::unique_ptr<Request> own;
  if (!stopping_) own = produce();
  while (!stopping_ && active_.size() < inflight_) {
    auto op = queue_.pop();
    if (!op) break;
    active_.push_back(std::move(*op));
  }
  if (own) return own;
  if (active_.empty()) return nullptr;
  for (size_t n = 0; n < active_.size(); ++n) {
    auto& op = active_[(round_robin_ + n) % active_.size()];
    if (auto r = op->next()) {
      round_robin_ = (round_robin_ + n + 1) % active_.size();
      return r;
    }
  }
  return nullptr;
}

void OpGroup::done(std::unique_ptr<Request> r) {
  on_own_done(std::move(r));
}

bool OpGroup::finished() const {
  if (!active_.empty()) return false;
  return stopping_ || (exhausted() && queue_.empty());
}

void OpGroup::interrupt() {
  if (!first_error_) first_error_ = Error(ErrorKind::internal, "interrupted");
  stopping_ = true;
  for (auto& op : active_) op->interrupt();
  while (queue_.pop()) {
  }
}

// ---- put DIR --recursive

std::string key_for(const std::string& prefix, const std::filesystem::path& relative) {
  std::string rel = relative.generic_string();
  if (prefix.empty() || prefix.back() == '/') return prefix + rel;
  return prefix + "/" + rel;
}

PutTree::PutTree(RequestPool& pool, const std::string& dir, std::string prefix, unsigned inflight,
                 OnFinished on_finished)
    : OpGroup(inflight, std::move(on_finished)), pool_(pool), root_(dir), prefix_(std::move(prefix)) {
  std::error_code ec;
  walk_ = std::filesystem::recursive_directory_iterator(root_, ec);
  if (ec) throw Error(ErrorKind::io, "cannot read directory " + dir + ": " + ec.message());
}

std::unique_ptr<Request> PutTree::produce() {
  std::error_code ec;
  while (!walk_done_ && !queue_.full()) {
    if (walk_ == std::filesystem::recursive_directory_iterator()) {
      walk_done_ = true;
      break;
    }
    const auto entry = *walk_;
    walk_.increment(ec);
    if (ec) {
      record_failure(Error(ErrorKind::io, "cannot walk " + root_.string() + ": " + ec.message()));
      walk_done_ = true;
      break;
    }
    if (!entry.is_regular_file()) continue;
    std::string key = key_for(prefix_, entry.path().lexically_relative(root_));
    try {
      auto source = std::make_shared<FileSource>(entry.path().string());
      std::unique_ptr<Op> op =
          std::make_unique<PutOp>(pool_, std::move(source), std::move(key), pool_.config().part_size);
      if (!queue_.try_push(op)) break;  // cannot happen: checked full() above
    } catch (const Error& e) {
      record_failure(e);
      break;
    }
  }
  return nullptr;
}

// ---- get PREFIX --recursive DIR

std::filesystem::path local_path_for(const std::filesystem::path& root, const std::string& prefix,
                                     const std::string& key) {
  if (key.compare(0, prefix.size(), prefix) != 0)
    throw Error(ErrorKind::bad_request, "listed key " + key + " is outside prefix " + prefix);
  std::string rest = key.substr(prefix.size());
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  if (rest.empty()) {
    // The prefix names the object itself: keep its last segment as the file name.
    auto slash = key.rfind('/');
    rest = slash == std::string::npos ? key : key.substr(slash + 1);
  }
  std::filesystem::path out = root;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t slash = rest.find('/', start);
    std::string seg = rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string::npos)
      throw Error(ErrorKind::bad_request, "key " + key + " cannot be a local path under " + root.string());
    out /= seg;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

namespace {
constexpr size_t kListPage = 1000;  // keys per listing page at most
// The first page is small and each next one twice the last: a page of 1000
// keys is ~60 KB of JSON, four initial windows of a fresh connection (three
// round trips of slow start before the first download could start); 100 keys
// fit one, and the downloads of each page widen the window for the next.
// When the gateway sends pages in gzip (~3 KB for 1000 keys), the second
// page is a whole one (on_own_done).
constexpr size_t kFirstListPage = 100;
}  // namespace

GetTree::GetTree(RequestPool& pool, std::string prefix, const std::string& dir, unsigned inflight,
                 OnFinished on_finished)
    : OpGroup(inflight, std::move(on_finished)),
      pool_(pool),
      prefix_(std::move(prefix)),
      root_(dir),
      page_limit_(kFirstListPage),
      policy_(pool.retry_policy()) {}

bool GetTree::exhausted() const {
  return listing_done_ && keys_.empty() && !list_in_flight_;
}

std::unique_ptr<Op> GetTree::make_get(const Listed& object) {
  const std::string& key = object.key;
  auto path = local_path_for(root_, prefix_, key);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw Error(ErrorKind::io, "cannot create directory " + path.parent_path().string() + ": " + ec.message());
  return std::make_unique<GetOp>(pool_, key,
                                 std::make_unique<TempFileSink>(path.string(), TempFileSink::Create::on_first_write),
                                 pool_.config().part_size, object.size);
}

// An S3 folder marker ("photos/2026/", made by S3 consoles and tools) has
// no file name of its own: like `aws s3 sync`, get --recursive makes its
// directory and writes no file. The prefix's own marker makes nothing.
void GetTree::make_marker_directory(const std::string& key) {
  std::string name = key;
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name.size() <= prefix_.size()) return;
  auto dir = local_path_for(root_, prefix_, name);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, "cannot create directory " + dir.string() + ": " + ec.message());
}

std::unique_ptr<Request> GetTree::produce() {
  while (!keys_.empty() && !queue_.full()) {
    try {
      if (keys_.front().key.ends_with('/')) {
        make_marker_directory(keys_.front().key);
        keys_.pop_front();
        continue;
      }
      auto op = make_get(keys_.front());
      keys_.pop_front();
      if (!queue_.try_push(op)) break;
    } catch (const Error& e) {
      record_failure(e);
      return nullptr;
    }
  }
  if (auto retry = list_retries_.pop_ready(std::chrono::steady_clock::now())) return retry;
  // The next page is asked for while this one's downloads run (less than a
  // page of keys left): listing never stalls the pipeline, and at most two
  // pages of keys wait in memory.
  if (keys_.size() < kListPage && !listing_done_ && !list_in_flight_) {
    std::string path = "/v1/objects?prefix=" + encode_query(prefix_) + "&limit=" + std::to_string(page_limit_);
    if (after_) path += "&after=" + encode_query(*after_);
    auto r = std::make_unique<Request>();
    r->path = path;
    r->owner = this;
    r->gating = true;  // the next downloads wait for it
    r->accept_gzip = true;
    list_in_flight_ = true;
    return r;
  }
  return nullptr;
}

void GetTree::on_own_done(std::unique_ptr<Request> r) {
  if (!r->ok()) {
    if (!stopping_ && schedule_retry(r, policy_, list_retries_)) return;
    list_in_flight_ = false;
    listing_done_ = true;
    record_failure(request_error("ls", prefix_, *r));
    return;
  }
  list_in_flight_ = false;
  // A page in gzip is a few KB: the next one may be whole (one window);
  // in JSON as it is, the next doubles, as the window does.
  page_limit_ = r->header("content-encoding") == "gzip" ? kListPage : std::min(page_limit_ * 2, kListPage);
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("objects") || !j["objects"].is_array()) {
    listing_done_ = true;
    record_failure(Error(ErrorKind::internal, "ls " + prefix_ + ": gateway sent a listing without objects"));
    return;
  }
  for (const auto& o : j["objects"]) {
    if (!o.is_object() || !o.contains("key") || !o["key"].is_string()) continue;
    Listed listed{o["key"].get<std::string>(), std::nullopt};
    if (o.contains("size") && o["size"].is_number_unsigned()) listed.size = o["size"].get<uint64_t>();
    keys_.push_back(std::move(listed));
  }
  if (j.contains("next_after") && j["next_after"].is_string())
    after_ = j["next_after"].get<std::string>();
  else
    listing_done_ = true;
}

}  // namespace haul::client
