//===- CpuFeatures.cpp - Can this CPU run a bundle's code? ----------------===//
#include "itq3/Runtime/CpuFeatures.h"

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

namespace itq3::rt {

namespace {

/// LLVM feature -> /proc/cpuinfo flag, for the extensions compiled code
/// uses: SIMD and the bit-manipulation instructions.
constexpr std::pair<const char *, const char *> kChecked[] = {
    {"sse4.1", "sse4_1"},        {"sse4.2", "sse4_2"},
    {"avx", "avx"},              {"avx2", "avx2"},
    {"fma", "fma"},              {"f16c", "f16c"},
    {"bmi", "bmi1"},             {"bmi2", "bmi2"},
    {"avx512f", "avx512f"},      {"avx512bw", "avx512bw"},
    {"avx512dq", "avx512dq"},    {"avx512vl", "avx512vl"},
    {"avx512cd", "avx512cd"},    {"avx512vnni", "avx512_vnni"},
    {"avx512vbmi", "avx512vbmi"}, {"avx512bf16", "avx512_bf16"},
    {"avxvnni", "avx_vnni"},
};

std::set<std::string> cpuinfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      return {std::istream_iterator<std::string>(words), {}};
    }
  return {};
}

} // namespace

Status checkCpuFeatures(const std::string &features) {
  std::set<std::string> flags = cpuinfoFlags();
  if (flags.empty())
    return Status::success();
  std::string missing;
  for (const auto &[llvmName, flag] : kChecked)
    if (("," + features + ",").find(std::string(",+") + llvmName + ",") !=
            std::string::npos &&
        !flags.count(flag))
      missing += (missing.empty() ? "" : ", ") + std::string(llvmName);
  if (missing.empty())
    return Status::success();
  return Status::error("the bundle's CPU code uses " + missing +
                       ", which this CPU lacks: recompile it here, or with "
                       "itq3-compile --cpu for an older CPU (e.g. x86-64-v3)");
}

} // namespace itq3::rt
