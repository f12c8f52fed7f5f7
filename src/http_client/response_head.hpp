#pragma once
// Sans-IO: the status line and header fields of an HTTP/1.x response, built
// one line at a time as libcurl's header callback hands them over (every
// line of every response of the exchange: interim 1xx answers, the final
// one, and the empty line that ends each block).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haul::http_client {

// Header fields in arrival order: lower-case names, values without the
// optional white space around them.
using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first field named `lower_name`, or null.
const std::string* find_header(const Headers& headers, std::string_view lower_name);

struct ResponseHead {
  int status = 0;         // 0 until a status line arrived (or when it was unreadable)
  Headers headers;        // of the latest response only
  bool complete = false;  // the final (non-1xx) response's header block has ended

  // Takes one line, with or without its CR LF. A status line ("HTTP/1.1 200
  // OK") starts a new response: an interim 100 Continue's fields are
  // forgotten. A line without a colon is ignored (libcurl has already
  // checked the framing).
  void feed_line(std::string_view line);
  // The value of a field or "" when absent.
  std::string value(std::string_view lower_name) const;
  const std::string* find(std::string_view lower_name) const { return find_header(headers, lower_name); }
  void clear() { *this = ResponseHead{}; }
};

}  // namespace haul::http_client
