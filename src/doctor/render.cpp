#include "doctor/render.hpp"

#include <fmt/format.h>

namespace haul::doctor {

std::string render_finding(const Finding& f) {
  const char* tag = "";
  switch (f.status) {
    case Status::ok: tag = "[ ok ]"; break;
    case Status::warn: tag = "[WARN]"; break;
    case Status::fail: tag = "[FAIL]"; break;
    case Status::skip: tag = "[skip]"; break;
  }
  std::string out = fmt::format("{} {:<34} {}\n", tag, f.id, f.value);
  if (f.status == Status::ok || f.status == Status::skip) {
    out += fmt::format("       {}{}\n", f.status == Status::skip ? "skipped: " : "", f.why);
    return out;
  }
  if (!f.recommended.empty()) out += fmt::format("       recommended: {}\n", f.recommended);
  out += fmt::format("       why: {}\n", f.why);
  if (!f.fix.empty()) out += fmt::format("       fix: {}\n", f.fix);
  return out;
}

std::string render_findings(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += render_finding(f);
  Summary s = summarize(findings);
  out += fmt::format("\n{} ok, {} warn, {} fail, {} skipped. Doctor changed nothing; the fixes are for you to run.\n",
                     s.ok, s.warn, s.fail, s.skip);
  return out;
}

}  // namespace haul::doctor
