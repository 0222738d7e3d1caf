//===- Commands.h - Subcommands of itq3-bench -----------------------------===//
//
// Each subcommand lives in its own file and is registered in main.cpp's
// table; a new one (e.g. `kernels`) is one more file and one more row.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TOOLS_BENCH_COMMANDS_H
#define ITQ3_TOOLS_BENCH_COMMANDS_H

namespace itq3::bench {

/// `formats`: reconstruction error, bits per weight and encode speed of
/// every format on synthetic matrices.
int runFormats(int argc, char **argv);
/// `calib`: the calibrated encoder's modes measured on a model's linears.
int runCalib(int argc, char **argv);
/// `twin`: twinquant's choices (rank, bits, transforms) measured on a
/// model's linears against block formats.
int runTwin(int argc, char **argv);
/// `grid`: prints lib/Format/GridTable.inc (the grid generator's output).
int runGrid(int argc, char **argv);
/// `kernels`: time and bandwidth of the compiled CPU matmul kernels
/// (MLIR-enabled builds only).
int runKernels(int argc, char **argv);
int runModel(int argc, char **argv);

} // namespace itq3::bench

#endif // ITQ3_TOOLS_BENCH_COMMANDS_H
