# Shared build settings for every haul target.

# Warnings are errors on our code only (targets made through these helpers).
set(HAUL_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wno-error=deprecated-declarations)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 reports -Wrestrict false positives inside libstdc++'s std::string
  # at -O2/-O3 (GCC bug 105329); they are not in our code.
  list(APPEND HAUL_WARNINGS -Wno-restrict)
  # g++ 12 reports -Wmismatched-new-delete inside Boost.Asio's coroutine
  # frames: awaitable_frame_base's operator new hands out recycled memory or
  # ::operator new's, its operator delete takes both back, and whether g++
  # sees through that depends on inlining (frame size, -O level, sanitizer
  # flags; it came and went with unrelated edits to the S3 handlers). Real
  # mismatches are still caught at run time: ASan checks every deallocation
  # (alloc_dealloc_mismatch).
  list(APPEND HAUL_WARNINGS -Wno-mismatched-new-delete)
  # In a unity build each source is #included into the batch's file, and g++
  # then reports every coroutine frame that holds a type from the source's
  # anonymous namespace as if a header leaked it (-Wsubobject-linkage is about
  # headers); nothing leaks, each batch is one translation unit.
  if(HAUL_UNITY)
    list(APPEND HAUL_WARNINGS -Wno-subobject-linkage)
  endif()
endif()

set(HAUL_SANITIZE_FLAGS)
# Sanitizer instrumentation at -O2 makes g++ 12's -Wmaybe-uninitialized report
# Beast's boost::optional<std::uint64_t> content length (basic_parser.hpp) as
# uninitialized wherever the parser is inlined (GCC's manual: the warning
# depends on optimization and is unreliable under sanitizers). The release
# build keeps the warning as an error.
set(HAUL_SANITIZE_WARNINGS)
if(HAUL_SANITIZE OR HAUL_TSAN)
  set(HAUL_SANITIZE_WARNINGS -Wno-maybe-uninitialized)
endif()
if(HAUL_SANITIZE AND HAUL_TSAN)
  message(FATAL_ERROR "HAUL_SANITIZE (ASan) and HAUL_TSAN cannot be combined")
elseif(HAUL_SANITIZE)
  # UBSan without its null and alignment checks: they instrument every member
  # access of Beast's and Asio's templates and made the ASan build a third
  # slower (session_plain.cpp: 86 s with them, 57 s without; ASan alone 56 s).
  # A null dereference still stops the run with a stack (ASan's SEGV report),
  # and x86-64 loads unaligned data without fault (the format parsers copy
  # bytes; netlink replies are walked with the kernel's NLMSG_ALIGN). The
  # bool, enum, bounds, shift, overflow, vptr, object-size and return checks
  # stay (the bool check found the dangling CopyObject range).
  set(HAUL_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize=null,alignment -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
elseif(HAUL_TSAN)
  # The gateway's I/O threads and blocking pool share connections, metrics and
  # the stripe board; the client's pool hashes on a thread of its own.
  # Asio's fenced blocks use atomic_thread_fence, which TSan does not model
  # (g++ warns -Wtsan); its queues' mutexes order the handlers anyway.
  set(HAUL_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
endif()

function(haul_apply_settings target)
  target_compile_options(${target} PRIVATE ${HAUL_WARNINGS} ${HAUL_SANITIZE_WARNINGS} ${HAUL_SANITIZE_FLAGS})
  target_link_options(${target} PRIVATE ${HAUL_SANITIZE_FLAGS})
  # Beast's and Asio's own headers are not ours: treat them as system headers.
  target_compile_definitions(${target} PRIVATE BOOST_ASIO_NO_DEPRECATED)
endfunction()

# haul_library(NAME SOURCES... [DEPS ...]) : a static library rooted at src/.
function(haul_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  haul_apply_settings(${name})
  if(HAUL_SANITIZE OR HAUL_TSAN)
    target_link_options(${name} INTERFACE ${HAUL_SANITIZE_FLAGS})
  endif()
endfunction()

# haul_test(NAME SOURCES... DEPS ...) : a GoogleTest binary registered with CTest.
function(haul_test name)
  if(NOT HAUL_TESTS OR HAUL_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  haul_apply_settings(${name})
  add_test(NAME ${name} COMMAND ${name})
endfunction()

# haul_fuzzer(NAME SOURCE DEPS ...) : a libFuzzer target, only in the clang fuzz build.
function(haul_fuzzer name)
  if(NOT HAUL_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  # All in build-fuzz/ itself: scripts/test runs build-fuzz/fuzz_*.
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
endfunction()

if(HAUL_FUZZ)
  # Every library in the fuzz build carries coverage instrumentation.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -gline-tables-only -O1)
  add_link_options(-fsanitize=address,undefined)
endif()
