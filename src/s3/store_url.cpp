#include "s3/store_url.hpp"

#include <vector>

#include "core/error.hpp"
#include "http/ows.hpp"

namespace haul::s3 {
namespace {

[[noreturn]] void bad(std::string_view url, const std::string& why) {
  throw Error(ErrorKind::config, "bad S3 store URL '" + std::string(url) + "': " + why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool valid_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) return false;
  }
  return true;
}

void set_endpoint(std::string_view url, StoreUrl& out, std::string_view endpoint) {
  size_t sep = endpoint.find("://");
  if (sep == std::string_view::npos) bad(url, "endpoint must be http://HOST[:PORT] or https://HOST[:PORT]");
  std::string_view scheme = endpoint.substr(0, sep);
  if (scheme != "http" && scheme != "https") bad(url, "endpoint scheme must be http or https");
  std::string_view host = endpoint.substr(sep + 3);
  while (!host.empty() && host.back() == '/') host.remove_suffix(1);
  if (host.empty() || host.find_first_of("/?#@ ") != std::string_view::npos) {
    bad(url, "endpoint must be a scheme and host[:port] without a path");
  }
  out.scheme = std::string(scheme);
  out.host = std::string(host);
}

}  // namespace

StoreUrl parse_store_url(std::string_view url) {
  if (!url.starts_with("s3://")) bad(url, "must start with s3://");
  std::string_view rest = url.substr(5);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  StoreUrl out;
  size_t slash = rest.find('/');
  out.bucket = std::string(rest.substr(0, slash));
  if (!valid_bucket(out.bucket)) bad(url, "bucket name must be 3-63 characters of a-z 0-9 . - _");
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (!prefix.empty()) out.prefix = std::string(prefix) + "/";
  }

  bool has_endpoint = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) bad(url, "parameter '" + std::string(pair) + "' needs a value");
    std::string name(pair.substr(0, eq));
    auto value = percent_decode(pair.substr(eq + 1));
    if (!value || value->empty()) bad(url, "parameter '" + name + "' has a bad or empty value");
    if (name == "endpoint") {
      set_endpoint(url, out, *value);
      has_endpoint = true;
    } else if (name == "region") {
      out.region = *value;
    } else if (name == "style") {
      if (*value != "virtual" && *value != "path") bad(url, "style must be virtual or path");
      out.virtual_host = *value == "virtual";
    } else if (name == "credentials") {
      out.credentials_file = *value;
    } else if (name == "profile") {
      out.profile = *value;
    } else if (name == "ca_file") {
      out.ca_file = *value;
    } else {
      bad(url, "unknown parameter '" + name + "' (endpoint, region, style, credentials, profile, ca_file)");
    }
  }
  if (!has_endpoint) {
    out.scheme = "https";
    out.host = "s3." + out.region + ".amazonaws.com";
  }
  if (!out.ca_file.empty() && out.scheme != "https") bad(url, "ca_file needs an https:// endpoint");
  return out;
}

RequestTarget request_target(const StoreUrl& store, std::string_view key) {
  RequestTarget t;
  std::string path = uri_encode(key, true);
  if (store.virtual_host) {
    t.host = store.bucket + "." + store.host;
    t.canonical_uri = "/" + path;
  } else {
    t.host = store.host;
    t.canonical_uri = "/" + store.bucket + (key.empty() ? "" : "/" + path);
  }
  t.url = store.scheme + "://" + t.host + t.canonical_uri;
  return t;
}

std::optional<Credentials> parse_credentials_ini(std::string_view text, std::string_view profile) {
  Credentials c;
  bool in_profile = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = http::trim_space(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      std::string_view name =
          line.back() == ']' ? http::trim_space(line.substr(1, line.size() - 2)) : std::string_view{};
      if (name.starts_with("profile ")) name = http::trim_space(name.substr(8));
      in_profile = name == profile;
      continue;
    }
    if (!in_profile) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = http::trim_space(line.substr(0, eq)), v = http::trim_space(line.substr(eq + 1));
    if (k == "aws_access_key_id")
      c.access_key = std::string(v);
    else if (k == "aws_secret_access_key")
      c.secret_key = std::string(v);
    else if (k == "aws_session_token")
      c.session_token = std::string(v);
  }
  if (c.access_key.empty() || c.secret_key.empty()) return std::nullopt;
  return c;
}

}  // namespace haul::s3
