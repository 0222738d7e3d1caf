//===- GridCommand.cpp - `itq3-bench grid`: print the generated grid ------===//

#include "Commands.h"

#include "itq3/Format/Grid.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace itq3::bench {

int runGrid(int argc, char **argv) {
  format::GridRule rule = format::kBuiltinGridRule;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rule") && i + 1 < argc) {
      if (!format::parseGridRule(argv[++i], rule)) {
        std::fprintf(stderr, "itq3-bench grid: unknown rule '%s' "
                             "(d4, norm, usage, iterated)\n", argv[i]);
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
