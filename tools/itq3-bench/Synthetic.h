//===- Synthetic.h - Reproducible synthetic weight matrices ---------------===//
#ifndef ITQ3_TOOLS_BENCH_SYNTHETIC_H
#define ITQ3_TOOLS_BENCH_SYNTHETIC_H

#include <cstdint>
#include <string>
#include <vector>

namespace itq3::bench {

enum class MatrixKind {
  Gaussian,      // i.i.d. N(0, sigma^2)
  StudentT4,     // i.i.d. Student-t with 4 degrees of freedom, times sigma
  OutlierColumns // Gaussian with 1% of the columns scaled by 20
};

std::string matrixKindName(MatrixKind kind);

/// rows x cols row-major, sigma 0.02 (typical of LLM linear weights), from
/// our own splitmix64 + Box-Muller stream so every machine gets the same
/// matrix for a seed.
std::vector<float> makeMatrix(MatrixKind kind, int64_t rows, int64_t cols,
                              uint64_t seed);

} // namespace itq3::bench

#endif // ITQ3_TOOLS_BENCH_SYNTHETIC_H
