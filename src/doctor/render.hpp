#pragma once
// Text form of findings for a terminal: one line for ok and skip, and for
// warn/fail the recommended value, why and the fix on their own lines.

#include <string>
#include <vector>

#include "doctor/finding.hpp"

namespace haul::doctor {

std::string render_finding(const Finding& finding);
std::string render_findings(const std::vector<Finding>& findings);

}  // namespace haul::doctor
