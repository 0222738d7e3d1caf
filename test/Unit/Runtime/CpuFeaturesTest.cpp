//===- CpuFeaturesTest.cpp - the CPU check before a bundle's code runs ----===//
#include "itq3/Runtime/CpuFeatures.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

using namespace itq3::rt;

namespace {

/// Whether /proc/cpuinfo lists `flag` (false when it cannot be read).
bool hasFlag(const std::string &flag) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0)
      return (line + " ").find(" " + flag + " ") != std::string::npos;
  return false;
}

TEST(CpuFeatures, RefusesWhatThisCpuLacksAndNamesIt) {
  // One of the wide extensions this CPU does not have.
  std::string missing;
  for (auto [feature, flag] : {std::pair{"avx512f", "avx512f"},
                               {"avx512vnni", "avx512_vnni"},
                               {"avxvnni", "avx_vnni"}})
    if (!hasFlag(flag)) {
      missing = feature;
      break;
    }
  if (missing.empty())
    GTEST_SKIP() << "this CPU has every extension the test could ask for";
  Status s = checkCpuFeatures("+sse4.2,+" + missing + ",-sse4a");
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find(missing + ", which this CPU lacks"),
            std::string::npos)
      << s.message();
}

TEST(CpuFeatures, AcceptsWhatThisCpuHasAndDisabledFeatures) {
  if (!hasFlag("sse4_2"))
    GTEST_SKIP() << "no sse4_2 in /proc/cpuinfo";
  EXPECT_TRUE(checkCpuFeatures("+sse4.2,-avx512f,-avx512vnni,+64bit"));
  EXPECT_TRUE(checkCpuFeatures(""));
}

} // namespace
