#pragma once
// Owning handles of libcurl's objects. The layer builds with CURL_STRICTER,
// so libcurl's handles are distinct struct types instead of void*: a
// CURLM* cannot be passed where a CURL* belongs, and these declarations
// need no curl.h.

#include <memory>

struct Curl_easy;   // CURL
struct Curl_multi;  // CURLM
struct Curl_share;  // CURLSH
struct curl_slist;

namespace haul::http_client {

struct EasyDeleter {
  void operator()(Curl_easy* easy) const noexcept;  // curl_easy_cleanup (leaves its Multi first)
};
struct MultiDeleter {
  void operator()(Curl_multi* multi) const noexcept;  // curl_multi_cleanup: closes its cached connections
};
struct ShareDeleter {
  void operator()(Curl_share* share) const noexcept;  // curl_share_cleanup (no easy handle may use it)
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept;  // curl_slist_free_all
};

using EasyHandle = std::unique_ptr<Curl_easy, EasyDeleter>;
using MultiHandle = std::unique_ptr<Curl_multi, MultiDeleter>;
using ShareHandle = std::unique_ptr<Curl_share, ShareDeleter>;
using SlistHandle = std::unique_ptr<curl_slist, SlistDeleter>;

// libcurl's process-wide setup, done once before the first handle.
void global_init();

// This libcurl can send a second request on an HTTP/2 connection opened with
// prior knowledge (h2c): 8.0.0 and later. 7.88 (Debian 12) fails it with
// "Error in the HTTP2 framing layer" (curl#10634, fixed by curl#10643).
bool h2c_reuse_works();

}  // namespace haul::http_client
