#pragma once
// Reads what the local checks need from this host (this network namespace):
// /proc/sys, getrlimit, and the TIME_WAIT count through sock_diag. Reads
// only; changes nothing.

#include "doctor/local_checks.hpp"

namespace haul::doctor {

LocalFacts read_local_facts();

}  // namespace haul::doctor
