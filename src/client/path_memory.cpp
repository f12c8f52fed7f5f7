#include "client/path_memory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "net/local_address.hpp"

namespace haul::client {

PathRecords parse_path_records(std::string_view text) {
  PathRecords records;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return records;
  for (const auto& [gateway, entry] : j.items()) {
    if (!entry.is_object()) continue;
    auto rtt = entry.find("rtt_us");
    auto seen = entry.find("seen");
    if (rtt == entry.end() || seen == entry.end() || !rtt->is_number_unsigned() || !seen->is_number_integer()) continue;
    if (rtt->get<uint64_t>() > UINT32_MAX) continue;
    records[gateway] = PathRecord{rtt->get<uint32_t>(), seen->get<int64_t>()};
  }
  return records;
}

std::string render_path_records(const PathRecords& records) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [gateway, r] : records) j[gateway] = {{"rtt_us", r.rtt_us}, {"seen", r.seen_unix}};
  return j.dump(1) + "\n";
}

std::optional<uint32_t> fresh_rtt(const PathRecords& records, const std::string& gateway, int64_t now_unix) {
  auto it = records.find(gateway);
  if (it == records.end()) return std::nullopt;
  const int64_t age = now_unix - it->second.seen_unix;
  if (age < 0 || age > kPathRecordMaxAgeSeconds) return std::nullopt;
  return it->second.rtt_us;
}

void put_record(PathRecords& records, const std::string& gateway, PathRecord record) {
  records[gateway] = record;
  while (records.size() > kPathRecordsKept) {
    auto oldest = std::min_element(records.begin(), records.end(), [](const auto& a, const auto& b) {
      return a.second.seen_unix < b.second.seen_unix;
    });
    records.erase(oldest);
  }
}

std::string path_cache_file() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
  };
  if (auto dir = env("HAUL_CACHE_DIR"); !dir.empty()) return dir + "/paths.json";
  if (auto dir = env("XDG_CACHE_HOME"); !dir.empty()) return dir + "/haul/paths.json";
  if (auto dir = env("HOME"); !dir.empty()) return dir + "/.cache/haul/paths.json";
  return {};
}

std::string gateway_host(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (!url.empty() && url.front() == '[') return std::string(url.substr(0, url.find(']') + 1));
  return std::string(url.substr(0, url.find(':')));
}

namespace {

int64_t now_unix() { return static_cast<int64_t>(std::time(nullptr)); }

PathRecords read_records(const std::string& file) {
  std::ifstream in(file);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  return parse_path_records(text.str());
}

}  // namespace

std::optional<uint32_t> recall_path_rtt(const std::string& gateway) {
  if (net::is_local_host(gateway_host(gateway))) return 0;
  const std::string file = path_cache_file();
  if (file.empty()) return std::nullopt;
  return fresh_rtt(read_records(file), gateway, now_unix());
}

void remember_path_rtt(const std::string& gateway, uint32_t rtt_us) {
  const std::string file = path_cache_file();
  if (file.empty()) return;
  std::error_code ec;
  const auto dir = std::filesystem::path(file).parent_path();
  std::filesystem::create_directories(dir, ec);
  PathRecords records = read_records(file);
  put_record(records, gateway, PathRecord{rtt_us, now_unix()});
  const std::string text = render_path_records(records);
  // Another haul process may write at the same time: each writes its own
  // temp file and the last rename wins (a cache may lose an entry, never tear).
  std::string temp = file + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written || ::rename(temp.c_str(), file.c_str()) != 0) ::unlink(temp.c_str());
}

}  // namespace haul::client
