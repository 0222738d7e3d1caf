//===- main.cpp - itq3-bench: measurements of formats and kernels ---------===//

#include "Commands.h"

#include <cstdio>
#include <cstring>

namespace {

struct Command {
  const char *name;
  int (*run)(int, char **);
  const char *help;
};

constexpr Command kCommands[] = {
    {"formats", itq3::bench::runFormats,
     "error, bits/weight and encode speed of every format "
     "[--rows N --cols K --threads T --json FILE --quick]"},
    {"calib", itq3::bench::runCalib,
     "output error of round-to-nearest, diagonal and full calibrated encoding "
     "on a model's linears [--model FILE --calib-stats FILE --layers 0,15 "
     "--linears ffn_down --formats itq3_s,q4 --threads T]"},
    {"twin", itq3::bench::runTwin,
     "bits/weight, weight error and output error of twinquant specs and "
     "block formats on a model's linears [--model FILE --calib-stats FILE "
     "--layers 0,15 --linears ffn_down --specs 'q4;twinquant:factor=4' "
     "--threads T]"},
    {"grid", itq3::bench::runGrid,
     "print the generated grid table (lib/Format/GridTable.inc) "
     "[--rule d4|norm|usage|iterated]"},
    {"model", itq3::bench::runModel,
     "prefill and decode tok/s of a compiled bundle, time per function, "
     "weight bytes per token and GB/s [--bundle FILE --prompt-tokens P "
     "--decode-tokens D --threads T --json FILE]"},
#ifdef ITQ3_BENCH_KERNELS
    {"kernels", itq3::bench::runKernels,
     "time and GB/s of the compiled matmul kernels (CPU; GPU when present) "
     "[--m 1,16 --reps R --threads T --json FILE --quick --shape NxK --only LABEL "
     "--scalar-decode --ab --no-peak --cpu-only --cpu LLVM_CPU --chip sm_90]"},
#endif
};

int usage(FILE *out) {
  std::fprintf(out, "usage: itq3-bench <command> [options]\n\ncommands:\n");
  for (const Command &c : kCommands)
    std::fprintf(out, "  %-10s %s\n", c.name, c.help);
  return out == stdout ? 0 : 2;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usage(stderr);
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))
    return usage(stdout);
  for (const Command &c : kCommands)
    if (!std::strcmp(argv[1], c.name))
      return c.run(argc - 1, argv + 1);
  std::fprintf(stderr, "itq3-bench: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}
