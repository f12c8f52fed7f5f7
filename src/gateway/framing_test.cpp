// Request body framing (framing.hpp): what is refused before a body byte is read.

#include "gateway/framing.hpp"

#include <gtest/gtest.h>

namespace haul::gateway {
namespace {

std::optional<ErrorKind> verdict(std::string_view method, std::vector<std::string_view> te, bool cl = false,
                                 bool http10 = false) {
  auto e = check_framing({method, std::move(te), cl, http10});
  return e ? std::optional(e->kind()) : std::nullopt;
}

TEST(Framing, AcceptsTheThreeHonestShapes) {
  EXPECT_FALSE(verdict("GET", {}));
  EXPECT_FALSE(verdict("DELETE", {}));
  EXPECT_FALSE(verdict("PUT", {}, true));
  EXPECT_FALSE(verdict("POST", {}, true));
  EXPECT_FALSE(verdict("PUT", {"chunked"}));
  EXPECT_FALSE(verdict("PUT", {"Chunked"}));
  EXPECT_FALSE(verdict("PUT", {" chunked "}));
  EXPECT_FALSE(verdict("PUT", {", chunked,"}));  // empty list elements do not count
}

TEST(Framing, RefusesCodingsThatDoNotEndInChunked) {
  for (auto te : std::vector<std::vector<std::string_view>>{
           {"identity"}, {"gzip"}, {"chunked, gzip"}, {"chunked", "gzip"}, {""}, {" , "}, {"chunkedx"}}) {
    EXPECT_EQ(verdict("PUT", te), ErrorKind::bad_request) << (te.empty() ? "" : te.front());
    EXPECT_EQ(verdict("GET", te), ErrorKind::bad_request);
  }
}

TEST(Framing, RefusesChunkedTwiceAndUnsupportedCodings) {
  EXPECT_EQ(verdict("PUT", {"chunked, chunked"}), ErrorKind::bad_request);
  EXPECT_EQ(verdict("PUT", {"chunked", "chunked"}), ErrorKind::bad_request);
  EXPECT_EQ(verdict("PUT", {"gzip, chunked"}), ErrorKind::not_implemented);
  EXPECT_EQ(verdict("PUT", {"gzip", "chunked"}), ErrorKind::not_implemented);
}

TEST(Framing, RefusesTransferEncodingOnHttp10) {
  EXPECT_EQ(verdict("PUT", {"chunked"}, false, true), ErrorKind::bad_request);
}

TEST(Framing, UploadsWithoutALengthAreRefused) {
  EXPECT_EQ(verdict("PUT", {}), ErrorKind::length_required);
  EXPECT_EQ(verdict("POST", {}), ErrorKind::length_required);
  EXPECT_EQ(verdict("POST", {}, false, true), ErrorKind::length_required);
  EXPECT_EQ(http_status(ErrorKind::length_required), 411);
  EXPECT_EQ(http_status(ErrorKind::not_implemented), 501);
}

}  // namespace
}  // namespace haul::gateway
