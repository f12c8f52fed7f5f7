#include "s3/listing.hpp"

#include <algorithm>
#include <span>

#include "core/hex.hpp"
#include "s3/api_error.hpp"

namespace haul::s3 {
namespace {

[[noreturn]] void invalid_argument(const std::string& message) {
  throw ApiError(400, "InvalidArgument", message);
}

std::string param(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

size_t parse_max_keys(const std::string& text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    invalid_argument("max-keys must be a non-negative integer, not '" + text + "'");
  }
  // All digits: anything longer than 4 significant digits is past the cap.
  size_t first = text.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  if (text.size() - first > 4) return list_max_keys;
  return std::min(static_cast<size_t>(std::stoul(text.substr(first))), list_max_keys);
}

// Bytewise string order, as S3 and the stores sort keys (std::string's
// compare goes through char_traits<char>, which compares as unsigned char).
const std::string& later_of(const std::string& a, const std::string& b) {
  return a < b ? b : a;
}

// The common prefix key rolls up into, or nullopt when it is listed itself.
std::optional<std::string> common_prefix_of(const ListQuery& q, const std::string& key) {
  if (q.delimiter.empty() || key.size() < q.prefix.size()) return std::nullopt;
  size_t at = key.find(q.delimiter, q.prefix.size());
  if (at == std::string::npos) return std::nullopt;
  return key.substr(0, at + q.delimiter.size());
}

// The first key after every key that starts with p. Keys are valid UTF-8,
// which never contains the byte 0xFF, so every key under p sorts before
// p + "\xFF", and every other key after p sorts after it (it differs from p
// within p's length). Asking the source to start there skips a whole common
// prefix in one call instead of walking (maybe millions of) keys under it;
// list_objects still drops keys under the last common prefix itself, so a
// store holding non-UTF-8 keys costs a few extra entries, not a wrong answer.
std::string past_everything_under(const std::string& p) {
  return p + '\xFF';
}

}  // namespace

std::string encode_continuation_token(std::string_view last) {
  return to_hex(std::span(reinterpret_cast<const uint8_t*>(last.data()), last.size()));
}

std::optional<std::string> decode_continuation_token(std::string_view token) {
  if (token.empty()) return std::nullopt;
  auto bytes = from_hex(token);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

ListQuery parse_list_query(const std::map<std::string, std::string>& query_params) {
  ListQuery q;
  q.v2 = param(query_params, "list-type") == "2";
  q.prefix = param(query_params, "prefix");
  q.delimiter = param(query_params, "delimiter");
  if (query_params.contains("max-keys")) q.max_keys = parse_max_keys(param(query_params, "max-keys"));
  if (query_params.contains("encoding-type")) {
    std::string encoding = param(query_params, "encoding-type");
    if (encoding != "url") invalid_argument("Invalid Encoding Method specified in Request");
    q.url_encoding = true;
  }
  if (q.v2) {
    q.start_after = param(query_params, "start-after");
    q.fetch_owner = param(query_params, "fetch-owner") == "true";
    if (query_params.contains("continuation-token")) {
      q.continuation_token_sent = true;
      q.continuation_token = param(query_params, "continuation-token");
      if (!q.continuation_token.empty() && !decode_continuation_token(q.continuation_token)) {
        invalid_argument("The continuation token provided is incorrect");
      }
    }
  } else {
    q.marker = param(query_params, "marker");
  }
  return q;
}

namespace {

// The walk over the source: one object per call of next(), in key order,
// asking the source for pages as it goes and skipping whatever is under the
// last common prefix returned.
class Walk {
 public:
  Walk(const ListQuery& q, const PageSource& source, std::string start) : q_(q), source_(source) {
    // Resuming right after a common prefix (NextMarker or a token names it):
    // none of its keys may come again.
    auto cp = common_prefix_of(q, start);
    if (cp && *cp == start) skip_under(*cp);
    after_ = later_of(after_, start);
  }

  // The next item: a key (nullopt prefix) or a common prefix; nullopt at the end.
  std::optional<std::pair<const ListedObject*, std::optional<std::string>>> next(size_t want) {
    for (;;) {
      while (pos_ < page_.size()) {
        const ListedObject& o = page_[pos_++];
        if (!skip_.empty() && o.key.starts_with(skip_)) continue;
        auto cp = common_prefix_of(q_, o.key);
        if (cp) skip_under(*cp);
        return std::make_pair(&o, std::move(cp));
      }
      if (at_end_) return std::nullopt;
      fetch(want);
    }
  }

 private:
  void skip_under(const std::string& cp) {
    skip_ = cp;
    after_ = later_of(after_, past_everything_under(cp));
  }

  void fetch(size_t want) {
    if (!page_.empty()) after_ = later_of(after_, page_.back().key);
    // After a common prefix, start past its keys (in one call, see
    // past_everything_under) rather than after the last key seen.
    if (!skip_.empty()) after_ = later_of(after_, past_everything_under(skip_));
    size_t limit = std::max<size_t>(want, 1);
    page_ = source_(after_, limit);
    pos_ = 0;
    at_end_ = page_.size() < limit;
  }

  const ListQuery& q_;
  const PageSource& source_;
  std::string after_;
  std::string skip_;  // the last common prefix returned: its keys are not listed again
  std::vector<ListedObject> page_;
  size_t pos_ = 0;
  bool at_end_ = false;
};

}  // namespace

ListResult list_objects(const ListQuery& query, const PageSource& source) {
  ListResult r;
  if (query.max_keys == 0) return r;
  std::string start = query.v2 ? query.start_after : query.marker;
  if (query.v2 && !query.continuation_token.empty()) {
    auto resume = decode_continuation_token(query.continuation_token);
    if (!resume) invalid_argument("The continuation token provided is incorrect");
    start = later_of(start, *resume);
  }
  Walk walk(query, source, start);
  std::string last;
  // One more than max-keys is wanted: the extra item tells truncation.
  while (auto item = walk.next(query.max_keys - r.key_count + 1)) {
    if (r.key_count == query.max_keys) {
      r.is_truncated = true;
      break;
    }
    auto& [object, cp] = *item;
    if (cp) {
      last = *cp;
      r.common_prefixes.push_back(std::move(*cp));
    } else {
      last = object->key;
      r.contents.push_back(*object);
    }
    ++r.key_count;
  }
  if (r.is_truncated) {
    r.next_marker = last;
    r.next_continuation_token = encode_continuation_token(last);
  }
  return r;
}

}  // namespace haul::s3
