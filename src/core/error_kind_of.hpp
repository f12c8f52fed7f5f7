#pragma once
// Tests only (needs gtest): the kind of the haul::Error that f throws; a
// test failure, and ErrorKind::internal, when it throws none.
#include <gtest/gtest.h>

#include "core/error.hpp"

namespace haul::testing {

template <typename F>
ErrorKind error_kind_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no haul::Error thrown";
  return ErrorKind::internal;
}

}  // namespace haul::testing
