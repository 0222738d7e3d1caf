//===- Measure.h - Timing and the bandwidth bound of itq3-bench -*- C++ -*-===//
#ifndef ITQ3_TOOLS_BENCH_MEASURE_H
#define ITQ3_TOOLS_BENCH_MEASURE_H

#include <functional>

namespace itq3::bench {

/// Median seconds of `reps` runs of `body` after one warm-up run.
double medianSeconds(int reps, const std::function<void()> &body);

/// GB/s of `threads` threads summing slices of a 512 MiB buffer: the
/// bandwidth the kernels can hope for on this machine.
double streamingReadGBs(unsigned threads);

} // namespace itq3::bench

#endif // ITQ3_TOOLS_BENCH_MEASURE_H
