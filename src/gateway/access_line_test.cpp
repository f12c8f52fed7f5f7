// The access log's line and the redaction of secrets (sans-IO).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/access_line.hpp"
#include "gateway/redact.hpp"

using namespace haul::gateway;

namespace {

const std::vector<std::string> kTokens = {"s3cr3t-T0ken", "other+tok/en="};

AccessRecord sample() {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  r.connection = 17;
  r.peer = "10.0.0.5:51234";
  r.method = "PUT";
  r.target = "/v1/objects/a%20b?store=us";
  r.status = 201;
  r.bytes_in = 1048576;
  r.bytes_out = 120;
  r.ms = 12.3456;
  return r;
}

// Percent-encodes every byte of s.
std::string encode_all(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

TEST(AccessLine, HasEveryFieldInOrder) {
  EXPECT_EQ(format_access_line(sample(), kTokens),
            R"({"ts":"2023-11-14T22:13:20.123Z","conn":17,"peer":"10.0.0.5:51234","method":"PUT",)"
            R"("target":"/v1/objects/a%20b?store=us","status":201,"bytes_in":1048576,"bytes_out":120,)"
            R"("ms":12.346,"cut":false})");
}

TEST(AccessLine, HostileMethodsAndTargetsStayOneValidLine) {
  AccessRecord r = sample();
  r.method = "GET\"}\n{\"forged\":1";
  r.target = "/x\"\\\r\n\x01\x7f\xff\xfe/\xc3?a=\"b\"";
  r.status = 0;
  r.cut = true;
  std::string line = format_access_line(r, kTokens);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  auto j = nlohmann::json::parse(line);  // valid JSON (invalid UTF-8 replaced)
  EXPECT_EQ(j.size(), 10u);
  EXPECT_EQ(j["method"], "GET\"}\n{\"forged\":1");
  // Control bytes come back as they were sent; the bytes that are not UTF-8
  // (0xff, 0xfe, a lone lead byte) as U+FFFD.
  EXPECT_EQ(j["target"], "/x\"\\\r\n\x01\x7f\xef\xbf\xbd\xef\xbf\xbd/\xef\xbf\xbd?a=\"b\"");
  EXPECT_EQ(j["status"], 0);
  EXPECT_EQ(j["cut"], true);
}

TEST(AccessLine, LongMethodsAndTargetsAreCut) {
  AccessRecord r = sample();
  r.method = std::string(4000, 'M');
  r.target = "/" + std::string(20000, 'k');
  auto j = nlohmann::json::parse(format_access_line(r, kTokens));
  EXPECT_EQ(j["method"], std::string(kMaxMethod, 'M') + "...");
  EXPECT_EQ(j["target"].get<std::string>().size(), kMaxTarget + 3);
}

TEST(AccessLine, TokensNeverAppearWhereverTheClientPutThem) {
  for (const std::string& token : kTokens) {
    const std::string once = encode_all(token);
    const std::vector<std::string> targets = {
        "/v1/objects/k?token=" + token,
        "/v1/objects/k?store=x&access_token=" + token + "&z=1",
        "/v1/objects/" + token,
        "/v1/objects/k?x=" + once,                                 // every byte encoded
        "/v1/objects/k?x=" + encode_all(once),                     // and encoded again
        "/v1/objects/k?x=%" + std::string("25") + once.substr(1),  // "%25" + rest: mixed levels
        "/download/files?key=a&auth=Bearer%20" + token,
        "/v1/objects/k?q=" + token + token + "&r=" + token.substr(0, 4),
    };
    for (const std::string& target : targets) {
      AccessRecord r = sample();
      r.target = target;
      r.method = token;  // a token sent as the method, too
      std::string line = format_access_line(r, kTokens);
      EXPECT_EQ(line.find(token), std::string::npos) << line;
      EXPECT_EQ(line.find(once), std::string::npos) << line;
      auto j = nlohmann::json::parse(line);
      EXPECT_NE(j["target"].get<std::string>().find("[redacted]"), std::string::npos) << line;
      EXPECT_EQ(j["method"], "[redacted]");
    }
  }
}

TEST(Redact, CredentialParametersAndOnlyThose) {
  EXPECT_EQ(redact("/v1/objects/a?store=us&limit=3", kTokens), "/v1/objects/a?store=us&limit=3");
  EXPECT_EQ(redact("/p?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F1&X-Amz-Date=1", kTokens),
            "/p?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&X-Amz-Date=1");
  EXPECT_EQ(redact("/p?%74oken=abc&Password=pw&token=", kTokens), "/p?%74oken=[redacted]&Password=[redacted]&token=");
  EXPECT_EQ(redact("/token=abc", kTokens), "/token=abc");  // the path is no query
  EXPECT_EQ(redact("/a/s3cr3t-T0ken/b/s3cr3t-T0ken", kTokens), "/a/[redacted]/b/[redacted]");
  EXPECT_EQ(redact("", kTokens), "");
  EXPECT_EQ(redact("/x%", kTokens), "/x%");
  EXPECT_EQ(redact("/x%4", kTokens), "/x%4");
  const std::vector<std::string> empty_secret = {""};
  EXPECT_EQ(redact("/x", empty_secret), "/x");
}
