#include "client/path_memory.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "client/cache_file.hpp"
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
  return cache_file("paths.json");
}

std::string gateway_host(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (!url.empty() && url.front() == '[') return std::string(url.substr(0, url.find(']') + 1));
  return std::string(url.substr(0, url.find(':')));
}

namespace {

int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}

PathRecords read_records(const std::string& file) {
  auto text = read_cache_file(file);
  return text ? parse_path_records(*text) : PathRecords{};
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
  PathRecords records = read_records(file);
  put_record(records, gateway, PathRecord{rtt_us, now_unix()});
  write_cache_file(file, render_path_records(records));
}

}  // namespace haul::client
