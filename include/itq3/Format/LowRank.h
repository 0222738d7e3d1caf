//===- LowRank.h - Truncated SVD by randomized subspace iteration -*- C++ -*-===//
//
// The low-rank half of twinquant (TwinQuant.h) needs the best rank-r
// approximation of weights up to 8960 x 1536 for r up to a few hundred.
// Randomized subspace iteration (Halko, Martinsson, Tropp 2011, algorithm
// 4.4) gets it from a handful of products with the matrix, all through
// DenseMath's kernel; the only dense factorization left is the symmetric
// eigenproblem of an l x l matrix (l = r plus oversampling), solved here
// by cyclic Jacobi. No LAPACK.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_LOWRANK_H
#define ITQ3_FORMAT_LOWRANK_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <vector>

namespace itq3::format {

struct LowRankOptions {
  /// Power iterations (each one product with A and one with A^T): they
  /// sharpen the captured subspace when the spectrum decays slowly, as
  /// the spectra of LLM weights do.
  int powerIterations = 4;
  /// Extra columns of the random start beyond the rank.
  int64_t oversampling = 16;
  uint64_t seed = 1;
  unsigned threads = 0;
};

/// A ~= U S V^T truncated to rank r, returned as the two factors of the
/// product: left[rows x r] with orthonormal columns and right[r x cols]
/// = S V^T, so that left * right is the rank-r approximation and row j of
/// `right` has norm sigma_j. sigma is in decreasing order.
struct LowRankFactors {
  int64_t rank = 0;
  std::vector<float> left;   // rows x rank, row-major
  std::vector<float> right;  // rank x cols, row-major
  std::vector<double> sigma; // rank
};

/// Fails when rank is not in [1, min(rows, cols)] or the input is not
/// finite.
Status truncatedSvd(const float *a, int64_t rows, int64_t cols, int64_t rank,
                    const LowRankOptions &options, LowRankFactors &out);

/// Eigen-decomposition of the symmetric s[n x n] (row-major, double) by
/// cyclic Jacobi: eigenvalues in decreasing order, eigenvectors as the
/// columns of vectors[n x n].
void symmetricEigen(std::vector<double> s, int64_t n,
                    std::vector<double> &values, std::vector<double> &vectors);

} // namespace itq3::format

#endif // ITQ3_FORMAT_LOWRANK_H
