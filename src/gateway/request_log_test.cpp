// The access log keeps tokens out, including tokens added by a reload.
#include "gateway/request_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace haul::gateway;

TEST(RequestLog, ReloadedTokensAreRedactedToo) {
  char path[] = "/tmp/haul-access-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    RequestLog log = RequestLog::open(path, {"old-secret-token"});
    AccessRecord r{{}, 1, "127.0.0.1:1", "GET", "/v1/objects/x?token=none&k=old-secret-token", 200, 0, 0, 1, false};
    log.access(r);
    r.target = "/v1/objects/new-secret-token";
    log.access(r);  // not yet a secret
    log.add_secrets({"new-secret-token", "old-secret-token"});
    log.access(r);
    r.target = "/v1/objects/old-secret-token";
    log.access(r);
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::filesystem::remove(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].find("old-secret-token"), std::string::npos);
  EXPECT_NE(lines[1].find("new-secret-token"), std::string::npos);
  EXPECT_EQ(lines[2].find("new-secret-token"), std::string::npos);
  EXPECT_NE(lines[2].find("[redacted]"), std::string::npos);
  EXPECT_EQ(lines[3].find("old-secret-token"), std::string::npos);
}
