// ListObjects V1/V2 over an in-memory source: the S3 documentation's
// examples and the ceph/s3-tests listing cases (s3tests_boto3/functional/test_s3.py).
#include "s3/listing.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "s3/api_error.hpp"

namespace haul::s3 {
namespace {

// A sorted bucket; counts the calls and the objects handed out.
struct MemorySource {
  explicit MemorySource(std::vector<std::string> keys, std::string prefix = "") : prefix_(std::move(prefix)) {
    std::sort(keys.begin(), keys.end());
    for (auto& k : keys) objects_.push_back(ListedObject{k, k.size(), 1700000000, "etag-" + k});
  }
  PageSource source() {
    return [this](std::string_view start_after, size_t limit) {
      ++calls;
      std::vector<ListedObject> out;
      auto it = std::upper_bound(objects_.begin(), objects_.end(), start_after,
                                 [](std::string_view a, const ListedObject& o) { return a < o.key; });
      for (; it != objects_.end() && out.size() < limit; ++it) {
        if (it->key.starts_with(prefix_)) out.push_back(*it);
      }
      handed_out += out.size();
      return out;
    };
  }
  std::string prefix_;
  std::vector<ListedObject> objects_;
  size_t calls = 0;
  size_t handed_out = 0;
};

ListQuery query(std::string prefix, std::string delimiter, size_t max_keys = 1000, bool v2 = true) {
  ListQuery q;
  q.v2 = v2;
  q.prefix = std::move(prefix);
  q.delimiter = std::move(delimiter);
  q.max_keys = max_keys;
  return q;
}

ListResult list(const std::vector<std::string>& keys, const ListQuery& q) {
  MemorySource m(keys, q.prefix);
  return list_objects(q, m.source());
}

std::vector<std::string> keys_of(const ListResult& r) {
  std::vector<std::string> out;
  for (const auto& o : r.contents) out.push_back(o.key);
  return out;
}

using Strings = std::vector<std::string>;

const Strings ceph_keys = {"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"};

TEST(Listing, DelimiterSlash) {
  auto r = list(ceph_keys, query("", "/"));
  EXPECT_EQ(keys_of(r), Strings{"asdf"});
  EXPECT_EQ(r.common_prefixes, (Strings{"boo/", "cquux/"}));
  EXPECT_FALSE(r.is_truncated);
  EXPECT_EQ(r.key_count, 3u);
  EXPECT_TRUE(r.next_continuation_token.empty());
}

TEST(Listing, NoDelimiterListsEverythingSorted) {
  auto r = list(ceph_keys, query("", ""));
  EXPECT_EQ(keys_of(r), (Strings{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/bla", "cquux/thud"}));
  EXPECT_TRUE(r.common_prefixes.empty());
}

TEST(Listing, PrefixAndDelimiter) {
  // s3-tests test_bucket_list_delimiter_prefix_ends_with_delimiter and friends.
  auto r = list(ceph_keys, query("boo/", "/"));
  EXPECT_EQ(keys_of(r), Strings{"boo/bar"});
  EXPECT_EQ(r.common_prefixes, Strings{"boo/baz/"});

  r = list({"foo/bar", "foo/baz/xyzzy", "quux/thud"}, query("foo/", "/"));
  EXPECT_EQ(keys_of(r), Strings{"foo/bar"});
  EXPECT_EQ(r.common_prefixes, Strings{"foo/baz/"});

  // A prefix that does not end in the delimiter.
  r = list({"foo/bar", "foo/baz/xyzzy", "foobar", "quux"}, query("foo", "/"));
  EXPECT_EQ(keys_of(r), Strings{"foobar"});
  EXPECT_EQ(r.common_prefixes, Strings{"foo/"});

  // Prefix only, no delimiter.
  r = list(ceph_keys, query("boo/", ""));
  EXPECT_EQ(keys_of(r), (Strings{"boo/bar", "boo/baz/xyzzy"}));

  // A key equal to the prefix is a key, not a common prefix.
  r = list({"dir/", "dir/a", "dir/sub/b"}, query("dir/", "/"));
  EXPECT_EQ(keys_of(r), (Strings{"dir/", "dir/a"}));
  EXPECT_EQ(r.common_prefixes, Strings{"dir/sub/"});

  // Nothing under the prefix.
  r = list(ceph_keys, query("nope", "/"));
  EXPECT_TRUE(r.contents.empty());
  EXPECT_TRUE(r.common_prefixes.empty());
  EXPECT_FALSE(r.is_truncated);
}

TEST(Listing, DelimiterOtherThanSlash) {
  // s3-tests test_bucket_list_delimiter_alt.
  auto r = list({"bar", "baz", "cab", "foo"}, query("", "a"));
  EXPECT_EQ(keys_of(r), Strings{"foo"});
  EXPECT_EQ(r.common_prefixes, (Strings{"ba", "ca"}));

  // s3-tests test_bucket_list_delimiter_unreadable-like: every key starts with the delimiter.
  r = list({"_obj1_", "_under1/bar", "_under1/baz/xyzzy", "_under2/thud", "_under2/bla"}, query("", "_"));
  EXPECT_TRUE(r.contents.empty());
  EXPECT_EQ(r.common_prefixes, (Strings{"_"}));

  // Multi-character delimiter (s3-tests test_bucket_list_delimiter_percentage uses "%").
  r = list({"a::b", "a::c::d", "ab"}, query("a::", "::"));
  EXPECT_EQ(keys_of(r), Strings{"a::b"});
  EXPECT_EQ(r.common_prefixes, Strings{"a::c::"});

  // A delimiter no key contains: everything is a key.
  r = list({"b/ar", "b/az", "c/ab", "foo"}, query("", "x"));
  EXPECT_EQ(keys_of(r).size(), 4u);
  EXPECT_TRUE(r.common_prefixes.empty());
}

TEST(Listing, AwsDocumentationExample) {
  // The ListObjects documentation's example: prefix "photos/2006/", delimiter "/".
  auto r = list({"photos/2006/February/sample.jpg", "photos/2006/January/sample.jpg", "photos/2006/index.html"},
                query("photos/2006/", "/"));
  EXPECT_EQ(keys_of(r), Strings{"photos/2006/index.html"});
  EXPECT_EQ(r.common_prefixes, (Strings{"photos/2006/February/", "photos/2006/January/"}));
  EXPECT_EQ(r.key_count, 3u);
}

TEST(Listing, MaxKeysPagesCountPrefixesOnce) {
  // s3-tests test_bucket_list_delimiter_prefix: one item per page.
  MemorySource m(ceph_keys);
  ListQuery q = query("", "/", 1, false);
  auto r = list_objects(q, m.source());
  EXPECT_EQ(keys_of(r), Strings{"asdf"});
  EXPECT_TRUE(r.is_truncated);
  EXPECT_EQ(r.next_marker, "asdf");

  q.marker = r.next_marker;
  r = list_objects(q, m.source());
  EXPECT_TRUE(r.contents.empty());
  EXPECT_EQ(r.common_prefixes, Strings{"boo/"});
  EXPECT_TRUE(r.is_truncated);
  EXPECT_EQ(r.next_marker, "boo/");

  q.marker = r.next_marker;
  r = list_objects(q, m.source());
  EXPECT_EQ(r.common_prefixes, Strings{"cquux/"});
  EXPECT_FALSE(r.is_truncated);
  EXPECT_TRUE(r.next_marker.empty());
}

TEST(Listing, NextMarkerIsTheLastEntryListed) {
  // Set whenever truncated (ListObjectVersions' NextKeyMarker); V1's XML
  // shows it only with a delimiter (server_xml_test).
  auto r = list(ceph_keys, query("", "", 2, false));
  EXPECT_TRUE(r.is_truncated);
  EXPECT_EQ(r.next_marker, "boo/bar");
  EXPECT_EQ(keys_of(r).back(), "boo/bar");
}

TEST(Listing, ExactlyMaxKeysLeftIsNotTruncated) {
  auto r = list({"a", "b", "c"}, query("", "", 3));
  EXPECT_EQ(r.key_count, 3u);
  EXPECT_FALSE(r.is_truncated);

  // The last item is a common prefix whose keys fill the page: still not truncated.
  r = list({"a", "b/1", "b/2", "b/3"}, query("", "/", 2));
  EXPECT_EQ(keys_of(r), Strings{"a"});
  EXPECT_EQ(r.common_prefixes, Strings{"b/"});
  EXPECT_FALSE(r.is_truncated);
}

TEST(Listing, MaxKeysZero) {
  MemorySource m(ceph_keys);
  auto r = list_objects(query("", "/", 0), m.source());
  EXPECT_EQ(r.key_count, 0u);
  EXPECT_FALSE(r.is_truncated);
  EXPECT_EQ(m.calls, 0u);
}

TEST(Listing, EmptyBucket) {
  auto r = list({}, query("", "/"));
  EXPECT_EQ(r.key_count, 0u);
  EXPECT_FALSE(r.is_truncated);
}

TEST(Listing, MarkerPastEverything) {
  ListQuery q = query("", "", 1000, false);
  q.marker = "zzz";
  auto r = list(ceph_keys, q);
  EXPECT_EQ(r.key_count, 0u);
  EXPECT_FALSE(r.is_truncated);
}

TEST(Listing, MarkerAndStartAfterAreExclusive) {
  ListQuery q = query("", "", 1000, false);
  q.marker = "boo/bar";
  EXPECT_EQ(keys_of(list(ceph_keys, q)), (Strings{"boo/baz/xyzzy", "cquux/bla", "cquux/thud"}));
  q = query("", "");
  q.start_after = "boo";
  EXPECT_EQ(keys_of(list(ceph_keys, q)), (Strings{"boo/bar", "boo/baz/xyzzy", "cquux/bla", "cquux/thud"}));
  // A marker inside a common prefix (not the prefix itself) lists the prefix
  // for the keys after it.
  q = query("", "/", 1000, false);
  q.marker = "boo/bar";
  auto r = list(ceph_keys, q);
  EXPECT_EQ(r.common_prefixes, (Strings{"boo/", "cquux/"}));
}

// Pages through with V2 tokens; every item exactly once, in order.
void page_through_v2(const Strings& keys, const std::string& prefix, const std::string& delimiter, size_t max_keys) {
  auto full = list(keys, query(prefix, delimiter));
  Strings all = keys_of(full);
  all.insert(all.end(), full.common_prefixes.begin(), full.common_prefixes.end());
  std::sort(all.begin(), all.end());

  MemorySource m(keys, prefix);
  ListQuery q = query(prefix, delimiter, max_keys);
  Strings seen;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 1000);
    auto r = list_objects(q, m.source());
    EXPECT_LE(r.key_count, max_keys);
    Strings page = keys_of(r);
    page.insert(page.end(), r.common_prefixes.begin(), r.common_prefixes.end());
    std::sort(page.begin(), page.end());
    seen.insert(seen.end(), page.begin(), page.end());
    if (!r.is_truncated) break;
    EXPECT_EQ(r.key_count, max_keys);
    q.continuation_token = r.next_continuation_token;
  }
  EXPECT_EQ(seen, all) << "prefix '" << prefix << "' delimiter '" << delimiter << "' max_keys " << max_keys;
}

TEST(Listing, PagingReachesEveryItemOnce) {
  const Strings keys = {"a", "a/1", "a/2", "a/b/c", "ab",  "b", "b/x/y", "b/x/z",   "c/", "c/d/e", "d", "e/f", "e/g/h",
                        "f", "g/1", "g/2", "g/3",   "g/4", "h", "h/i/j", "h/i/j/k", "z/", "z/z",   "zz"};
  for (size_t max_keys = 1; max_keys <= keys.size() + 1; ++max_keys) {
    page_through_v2(keys, "", "/", max_keys);
    page_through_v2(keys, "", "", max_keys);
    page_through_v2(keys, "a", "/", max_keys);
    page_through_v2(keys, "g/", "/", max_keys);
    page_through_v2(keys, "", "b", max_keys);
    page_through_v2(keys, "h/", "/", max_keys);
  }
}

TEST(Listing, V1MarkersPageThroughPrefixesAndKeys) {
  const Strings keys = {"a", "a/1", "a/2", "b", "c/1", "c/2", "c/3", "d", "e/", "e/x"};
  MemorySource m(keys);
  ListQuery q = query("", "/", 2, false);
  Strings seen;
  for (;;) {
    auto r = list_objects(q, m.source());
    for (const auto& o : r.contents) seen.push_back(o.key);
    for (const auto& p : r.common_prefixes) seen.push_back(p);
    if (!r.is_truncated) break;
    q.marker = r.next_marker;
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (Strings{"a", "a/", "b", "c/", "d", "e/"}));
}

TEST(Listing, CommonPrefixIsSkippedInOneCall) {
  Strings keys = {"a", "z"};
  for (int i = 0; i < 10000; ++i) keys.push_back("big/" + std::to_string(i));
  MemorySource m(keys);
  auto r = list_objects(query("", "/", 1000), m.source());
  EXPECT_EQ(keys_of(r), (Strings{"a", "z"}));
  EXPECT_EQ(r.common_prefixes, Strings{"big/"});
  // One page with a, big/..., then one starting past "big/\xFF".
  EXPECT_LE(m.calls, 2u);
  EXPECT_LE(m.handed_out, 1000u + 2u);

  // Paging one item at a time: resuming after "big/" does not walk its keys either.
  MemorySource m2(keys);
  ListQuery q = query("", "/", 1);
  Strings seen;
  for (;;) {
    auto page = list_objects(q, m2.source());
    for (const auto& o : page.contents) seen.push_back(o.key);
    for (const auto& p : page.common_prefixes) seen.push_back(p);
    if (!page.is_truncated) break;
    q.continuation_token = page.next_continuation_token;
  }
  EXPECT_EQ(seen, (Strings{"a", "big/", "z"}));
  EXPECT_LE(m2.handed_out, 12u);
}

TEST(Listing, KeysUnderAPrefixWithTheHighestCodePoint) {
  // U+10FFFF (F4 8F BF BF) after the prefix still sorts before "big/\xFF".
  Strings keys = {"big/\xF4\x8F\xBF\xBF", "big/\xF4\x8F\xBF\xBFx", "c"};
  auto r = list(keys, query("", "/"));
  EXPECT_EQ(r.common_prefixes, Strings{"big/"});
  EXPECT_EQ(keys_of(r), Strings{"c"});
}

TEST(Listing, ContinuationTokenAndStartAfter) {
  ListQuery q = query("", "");
  q.start_after = "asdf";
  q.continuation_token = encode_continuation_token("boo/baz/xyzzy");
  EXPECT_EQ(keys_of(list(ceph_keys, q)), (Strings{"cquux/bla", "cquux/thud"}));
  q.continuation_token = "not hex";
  EXPECT_THROW(list(ceph_keys, q), ApiError);
  EXPECT_EQ(decode_continuation_token(encode_continuation_token("k\xE2\x98\xBA")), "k\xE2\x98\xBA");
  EXPECT_FALSE(decode_continuation_token(""));
  EXPECT_FALSE(decode_continuation_token("abc"));
}

// ---- parse_list_query ----

void expect_invalid_argument(const std::map<std::string, std::string>& params) {
  try {
    parse_list_query(params);
    ADD_FAILURE() << "accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "InvalidArgument");
  }
}

TEST(ListQueryParse, Defaults) {
  auto q = parse_list_query({});
  EXPECT_FALSE(q.v2);
  EXPECT_EQ(q.max_keys, 1000u);
  EXPECT_FALSE(q.url_encoding);
  EXPECT_TRUE(q.prefix.empty());
}

TEST(ListQueryParse, V2) {
  auto token = encode_continuation_token("k");
  auto q = parse_list_query({{"list-type", "2"},
                             {"prefix", "p/"},
                             {"delimiter", "/"},
                             {"max-keys", "7"},
                             {"start-after", "p/a"},
                             {"continuation-token", token},
                             {"encoding-type", "url"},
                             {"fetch-owner", "true"}});
  EXPECT_TRUE(q.v2);
  EXPECT_EQ(q.prefix, "p/");
  EXPECT_EQ(q.delimiter, "/");
  EXPECT_EQ(q.max_keys, 7u);
  EXPECT_EQ(q.start_after, "p/a");
  EXPECT_EQ(q.continuation_token, token);
  EXPECT_TRUE(q.url_encoding);
  EXPECT_TRUE(q.fetch_owner);
}

TEST(ListQueryParse, EmptyContinuationTokenIsNoToken) {
  auto q = parse_list_query({{"list-type", "2"}, {"continuation-token", ""}});
  EXPECT_TRUE(q.continuation_token_sent);
  EXPECT_TRUE(q.continuation_token.empty());
  EXPECT_FALSE(parse_list_query({{"list-type", "2"}}).continuation_token_sent);
}

TEST(ListQueryParse, V1Marker) {
  auto q = parse_list_query({{"marker", "m"}, {"start-after", "ignored"}});
  EXPECT_FALSE(q.v2);
  EXPECT_EQ(q.marker, "m");
  EXPECT_TRUE(q.start_after.empty());
}

TEST(ListQueryParse, MaxKeys) {
  EXPECT_EQ(parse_list_query({{"max-keys", "0"}}).max_keys, 0u);
  EXPECT_EQ(parse_list_query({{"max-keys", "1000"}}).max_keys, 1000u);
  EXPECT_EQ(parse_list_query({{"max-keys", "1001"}}).max_keys, 1000u);
  EXPECT_EQ(parse_list_query({{"max-keys", "000005"}}).max_keys, 5u);
  EXPECT_EQ(parse_list_query({{"max-keys", "99999999999999999999999"}}).max_keys, 1000u);
  expect_invalid_argument({{"max-keys", "-1"}});
  expect_invalid_argument({{"max-keys", ""}});
  expect_invalid_argument({{"max-keys", "ten"}});
  expect_invalid_argument({{"max-keys", "1 "}});
  expect_invalid_argument({{"max-keys", "+1"}});
}

TEST(ListQueryParse, EncodingTypeAndToken) {
  expect_invalid_argument({{"encoding-type", "URL"}});
  expect_invalid_argument({{"encoding-type", ""}});
  expect_invalid_argument({{"list-type", "2"}, {"continuation-token", "zz"}});
  // An empty token is no token (EmptyContinuationTokenIsNoToken).
}

}  // namespace
}  // namespace haul::s3
