#pragma once
// One result of a doctor check: what was read, what it should be, one line of
// why, and the exact command that fixes it. Doctor never runs the fix.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace haul::doctor {

enum class Status { ok, warn, fail, skip };

std::string_view status_name(Status status) noexcept;

struct Finding {
  std::string id;  // stable, dotted: "sysctl.tcp_wmem", "path.rtt"
  Status status = Status::ok;
  std::string value;        // what was read or measured, human-readable
  std::string recommended;  // what it should be; empty when nothing to change
  std::string why;          // one line
  std::string fix;          // exact command or config line; empty when none

  // A verdict other than ok: its status, why, and the fix in one call.
  void flag(Status new_status, std::string why_text, std::string fix_text) {
    status = new_status;
    why = std::move(why_text);
    fix = std::move(fix_text);
  }
};

nlohmann::json finding_json(const Finding& finding);

struct Summary {
  int ok = 0, warn = 0, fail = 0, skip = 0;
};
Summary summarize(const std::vector<Finding>& findings);

}  // namespace haul::doctor
