// allocation_policy_test.cc: ApplyAllocationPolicy's settings, observed
// through glibc's own report (malloc_info) in this test's process.
#include "common/allocation_policy.h"

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace ablate {
namespace {

#if defined(__GLIBC__)
// malloc_info's XML: one <heap nr="..."> element per arena.
std::string MallocInfo() {
  char* buf = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&buf, &size);
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return "";
  malloc_info(0, f);
  std::fclose(f);
  std::string out(buf, size);
  std::free(buf);
  return out;
}

int Arenas(const std::string& info) {
  int n = 0;
  for (size_t at = info.find("<heap nr="); at != std::string::npos; at = info.find("<heap nr=", at + 1)) ++n;
  return n;
}
#endif

// Threads that allocate at the same time share the one arena, and a large
// block freed is kept in the heap (not unmapped) for the next one.
TEST(AllocationPolicyTest, ThreadsShareOneArenaAndLargeBlocksComeFromTheHeap) {
#if !defined(__GLIBC__)
  GTEST_SKIP() << "not glibc: the policy does nothing here";
#else
  ASSERT_TRUE(ApplyAllocationPolicy());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 200; ++i) {
        std::vector<char> block(size_t{64} << 10);  // 64 KiB, over the initial mmap threshold
        block[i] = 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string info = MallocInfo();
  EXPECT_EQ(Arenas(info), 1) << info;
  const struct mallinfo2 before = mallinfo2();
  void* big = std::malloc(size_t{64} << 20);  // 64 MiB: mmapped by default
  ASSERT_NE(big, nullptr);
  const struct mallinfo2 during = mallinfo2();
  EXPECT_EQ(during.hblks, before.hblks) << "a 64 MiB block was mmapped";
  std::free(big);
  const struct mallinfo2 after = mallinfo2();
  EXPECT_GE(after.fordblks, size_t{64} << 20) << "the freed block was returned to the system";
#endif
}

}  // namespace
}  // namespace ablate
