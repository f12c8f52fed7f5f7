#include "doctor/finding.hpp"

#include <nlohmann/json.hpp>

namespace haul::doctor {

std::string_view status_name(Status status) noexcept {
  switch (status) {
    case Status::ok: return "ok";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
    case Status::skip: return "skip";
  }
  return "skip";
}

nlohmann::json finding_json(const Finding& f) {
  return {{"id", f.id},       {"status", status_name(f.status)},
          {"value", f.value}, {"recommended", f.recommended},
          {"why", f.why},     {"fix", f.fix}};
}

Summary summarize(const std::vector<Finding>& findings) {
  Summary s;
  for (const auto& f : findings) {
    switch (f.status) {
      case Status::ok: ++s.ok; break;
      case Status::warn: ++s.warn; break;
      case Status::fail: ++s.fail; break;
      case Status::skip: ++s.skip; break;
    }
  }
  return s;
}

}  // namespace haul::doctor
