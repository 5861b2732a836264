// shared_data.h: where tests find ../shared (golden vectors, datasets).
// Tests that need it call ABLATE_REQUIRE_SHARED(path) and skip with a clear
// message when it is absent.
#ifndef ABLATE_TESTS_TESTING_SHARED_DATA_H_
#define ABLATE_TESTS_TESTING_SHARED_DATA_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace ablate::testing {

// $ABLATE_SHARED_DIR if set, else the build-time default (<repo>/../shared).
inline std::string SharedDir() {
  if (const char* env = std::getenv("ABLATE_SHARED_DIR")) return env;
#ifdef ABLATE_SHARED_DIR
  return ABLATE_SHARED_DIR;
#else
  return "../shared";
#endif
}

inline std::string SharedPath(const std::string& rel) { return SharedDir() + "/" + rel; }

}  // namespace ablate::testing

#define ABLATE_REQUIRE_SHARED(rel)                                                                                   \
  do {                                                                                                               \
    if (!std::filesystem::exists(::ablate::testing::SharedPath(rel)))                                                \
      GTEST_SKIP() << "shared data not found: " << ::ablate::testing::SharedPath(rel) << " (set ABLATE_SHARED_DIR)"; \
  } while (0)

#endif  // ABLATE_TESTS_TESTING_SHARED_DATA_H_
