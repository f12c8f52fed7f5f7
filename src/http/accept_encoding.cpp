#include "http/accept_encoding.hpp"

#include <optional>

#include "http/header_params.hpp"
#include "http/ows.hpp"

namespace haul::http {
namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); whether it is
// above zero, nullopt when it does not parse.
std::optional<bool> positive_qvalue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return std::nullopt;
  const bool one = q[0] == '1';
  bool nonzero_fraction = false;
  if (q.size() > 1) {
    if (q[1] != '.' || q.size() > 5) return std::nullopt;
    for (char c : q.substr(2)) {
      if (c < '0' || c > '9' || (one && c != '0')) return std::nullopt;
      nonzero_fraction = nonzero_fraction || c != '0';
    }
  }
  return one || nonzero_fraction;
}

// The weight of one element ("gzip;q=0.5" -> its coding and whether q > 0).
struct Element {
  std::string_view coding;
  bool accepted = false;
};

std::optional<Element> parse_element(std::string_view element) {
  const size_t semi = element.find(';');
  Element e{trim_ows(element.substr(0, semi)), true};
  if (semi == std::string_view::npos) return e;
  std::string_view weight = trim_ows(element.substr(semi + 1));
  if (weight.size() < 2 || (weight[0] != 'q' && weight[0] != 'Q') || weight[1] != '=') return std::nullopt;
  auto positive = positive_qvalue(weight.substr(2));
  if (!positive) return std::nullopt;
  e.accepted = *positive;
  return e;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<bool> gzip, any;
  for (std::string_view raw : list_elements(accept_encoding)) {
    auto e = parse_element(raw);
    if (!e) continue;
    if (iequals(e->coding, "gzip") || iequals(e->coding, "x-gzip"))
      gzip = gzip.value_or(false) || e->accepted;
    else if (e->coding == "*")
      any = any.value_or(false) || e->accepted;
  }
  return gzip ? *gzip : any.value_or(false);
}

}  // namespace haul::http
