// The client's memory of path round trips (path_memory.hpp): the cache file's
// text both ways, freshness, its bound, host parsing and the local-host rule.

#include "client/path_memory.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "client/tls_session_file.hpp"
#include "net/local_address.hpp"

namespace haul::client {
namespace {

TEST(PathMemory, RecordsSurviveTheirText) {
  PathRecords records;
  records["http://10.0.0.2:8080"] = {200123, 1700000000};
  records["http://[::1]:80"] = {31, 1700000100};
  EXPECT_EQ(parse_path_records(render_path_records(records)).size(), 2u);
  auto back = parse_path_records(render_path_records(records));
  EXPECT_EQ(back["http://10.0.0.2:8080"].rtt_us, 200123u);
  EXPECT_EQ(back["http://[::1]:80"].seen_unix, 1700000100);
}

TEST(PathMemory, DamagedTextIsAnEmptyCache) {
  for (const char* text : {"", "{", "[]", "null", "{\"a\": 1}", "{\"a\": {\"rtt_us\": -5, \"seen\": 1}}",
                           "{\"a\": {\"rtt_us\": 99999999999, \"seen\": 1}}", "{\"a\": {\"rtt_us\": 5}}"}) {
    EXPECT_TRUE(parse_path_records(text).empty()) << text;
  }
  // A damaged entry does not spoil the good ones.
  auto mixed = parse_path_records(R"({"bad": {"rtt_us": "x", "seen": 1}, "good": {"rtt_us": 7, "seen": 2}})");
  ASSERT_EQ(mixed.size(), 1u);
  EXPECT_EQ(mixed["good"].rtt_us, 7u);
}

TEST(PathMemory, OnlyFreshRecordsCount) {
  PathRecords records{{"gw", {5000, 1000}}};
  EXPECT_EQ(fresh_rtt(records, "gw", 1000), 5000u);
  EXPECT_EQ(fresh_rtt(records, "gw", 1000 + kPathRecordMaxAgeSeconds), 5000u);
  EXPECT_FALSE(fresh_rtt(records, "gw", 1001 + kPathRecordMaxAgeSeconds));
  EXPECT_FALSE(fresh_rtt(records, "gw", 999));  // from the future: a clock jumped
  EXPECT_FALSE(fresh_rtt(records, "other", 1000));
}

TEST(PathMemory, KeepsTheMostRecentlySeenGateways) {
  PathRecords records;
  for (int64_t i = 0; i < static_cast<int64_t>(kPathRecordsKept) + 10; ++i)
    put_record(records, "gw" + std::to_string(i), {1, 1000 + i});
  EXPECT_EQ(records.size(), kPathRecordsKept);
  EXPECT_FALSE(records.contains("gw0"));
  EXPECT_TRUE(records.contains("gw" + std::to_string(kPathRecordsKept + 9)));
}

TEST(PathMemory, GatewayHost) {
  EXPECT_EQ(gateway_host("http://127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(gateway_host("https://gw.example.com/base"), "gw.example.com");
  EXPECT_EQ(gateway_host("http://[::1]:8080"), "[::1]");
  EXPECT_EQ(gateway_host("http://user@host:1"), "host");
  EXPECT_EQ(gateway_host("host"), "host");
}

TEST(PathMemory, LocalHosts) {
  EXPECT_TRUE(net::is_local_host("127.0.0.1"));
  EXPECT_TRUE(net::is_local_host("127.8.9.10"));
  EXPECT_TRUE(net::is_local_host("localhost"));
  EXPECT_TRUE(net::is_local_host("[::1]"));
  // Documentation addresses (RFC 5737) are no interface's here.
  EXPECT_FALSE(net::is_local_host("192.0.2.1"));
  EXPECT_FALSE(net::is_local_host(""));
  EXPECT_FALSE(net::is_local_host("no-such-host.invalid"));
}

TEST(PathMemory, RememberedRttIsRecalledFromTheCacheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("haul-path-memory-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ::setenv("HAUL_CACHE_DIR", dir.c_str(), 1);
  EXPECT_FALSE(recall_path_rtt("http://192.0.2.1:8080"));
  remember_path_rtt("http://192.0.2.1:8080", 201000);
  EXPECT_EQ(recall_path_rtt("http://192.0.2.1:8080"), 201000u);
  EXPECT_EQ(std::filesystem::status(dir / "paths.json").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // A gateway on this host is short whatever the cache says.
  remember_path_rtt("http://127.0.0.1:1", 300000);
  EXPECT_EQ(recall_path_rtt("http://127.0.0.1:1"), 0u);
  ::unsetenv("HAUL_CACHE_DIR");
  std::filesystem::remove_all(dir);
}

TEST(TlsSessionFile, SavedMergedAndPrivate) {
  auto dir = std::filesystem::temp_directory_path() / ("haul-tls-sessions-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ::setenv("HAUL_CACHE_DIR", (dir / "sub").c_str(), 1);
  const std::string file = tls_session_file();
  EXPECT_EQ(file, (dir / "sub" / "tls_sessions.json").string());
  EXPECT_TRUE(load_tls_sessions(file).empty());  // no file yet
  const int64_t later = std::time(nullptr) + 3600;
  save_tls_sessions(file, {{"a:443 ca= pin= verified", {"der-a", later}}});
  // Another process saves another gateway's: both are kept.
  save_tls_sessions(file, {{"b:443 ca= pin= verified", {"der-b", later}}});
  auto back = load_tls_sessions(file);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back["a:443 ca= pin= verified"].der, "der-a");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(std::filesystem::status(dir / "sub").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  // A corrupt file is no sessions, and the next save replaces it.
  { std::ofstream(file) << "{\"version\":1,\"sessions\":{\"a\":{\"der\":\"zz"; }
  EXPECT_TRUE(load_tls_sessions(file).empty());
  save_tls_sessions(file, {{"c:443 ca= pin= verified", {"der-c", later}}});
  EXPECT_EQ(load_tls_sessions(file).size(), 1u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "sub"), {}), 1);  // no temp file left
  ::unsetenv("HAUL_CACHE_DIR");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace haul::client
