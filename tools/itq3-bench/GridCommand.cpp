//===- GridCommand.cpp - `itq3-bench grid`: print the generated grid ------===//

#include "Commands.h"

#include "itq3/Format/Grid.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace itq3::bench {

int runGrid(int argc, char **argv) {
  format::GridRule rule = format::GridRule::UsageFrequency;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rule") && i + 1 < argc) {
      std::string r = argv[++i];
      if (r == "norm")
        rule = format::GridRule::SmallestNorm;
      else if (r != "usage") {
        std::fprintf(stderr, "itq3-bench grid: unknown rule '%s'\n", r.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "itq3-bench grid: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }
  std::fputs(format::formatGridTable(format::generateGrid(rule)).c_str(), stdout);
  return 0;
}

} // namespace itq3::bench
