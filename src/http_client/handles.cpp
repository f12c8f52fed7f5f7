#include "http_client/handles.hpp"

#include <curl/curl.h>

#include <mutex>

namespace haul::http_client {

static_assert(std::is_same_v<CURL, Curl_easy>, "the layer builds with CURL_STRICTER");

void EasyDeleter::operator()(Curl_easy* easy) const noexcept {
  curl_easy_cleanup(easy);
}
void MultiDeleter::operator()(Curl_multi* multi) const noexcept {
  curl_multi_cleanup(multi);
}
void ShareDeleter::operator()(Curl_share* share) const noexcept {
  curl_share_cleanup(share);
}
void SlistDeleter::operator()(curl_slist* list) const noexcept {
  curl_slist_free_all(list);
}

void global_init() {
  // curl_global_init is not thread-safe in every libcurl; once, before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool h2c_reuse_works() {
  global_init();
  return curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;
}

}  // namespace haul::http_client
