//===- TwinTransform.h - The learned rotation of twinquant's factors ------===//
//
// U V = (U Q)(Q^T V) for any orthogonal r x r Q, so Q can be chosen to make
// the two factors cheaper to quantize. learnFactorRotation looks for the Q
// that lowers their post-quantization error
//
//   L(Q) = ||U Q - q(U Q)||^2 / ||U||^2 + ||Q^T V - q(Q^T V)||^2 / ||V||^2
//
// (q the factor codec: U by columns, V by rows, in blocks of 32) by Cayley
// steps on the orthogonal group, which keep Q orthogonal without a
// re-orthogonalization: Q <- (I + t/2 A)^-1 (I - t/2 A) Q with the skew
// A = G Q^T - Q G^T. q is piecewise constant, so G is the gradient with the
// codes held where they are (the quantized values as fixed targets):
// G = 2 U^T (U Q - q(U Q)) / ||U||^2 + 2 V (Q^T V - q(Q^T V))^T / ||V||^2.
// Every trial step is judged by the true L (re-quantized); a step that does
// not lower it is halved, and the search stops when none does. The loss is
// taken on a sample of whole blocks (rows of U, columns of V), so its cost
// does not grow with N and K.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_FORMAT_TWINTRANSFORM_H
#define ITQ3_LIB_FORMAT_TWINTRANSFORM_H

#include "itq3/Format/Codec.h"
#include "itq3/Format/KronRotation.h"

#include <cstdint>
#include <vector>

namespace itq3::format::detail {

struct FactorRotationOptions {
  CayleySearch search{/*steps=*/64, /*initialAngle=*/0.05, /*maxHalvings=*/5};
  /// Rows of U and columns of V in the loss (rounded up to blocks of 32).
  int64_t sample = 512;
  uint64_t seed = 11;
};

struct FactorRotation {
  std::vector<double> q; // r x r, row-major, orthogonal
  double startLoss = 0, learnedLoss = 0; // L on the sample, Q = I and learned
  int accepted = 0, evaluations = 0;
};

/// The learned Q for u [rows x r] and v [r x cols] (rows and cols multiples
/// of 32), coded with `codec` (q4 or q8); starts from Q = I.
FactorRotation learnFactorRotation(const std::vector<float> &u,
                                   const std::vector<float> &v, int64_t rows,
                                   int64_t cols, int64_t r, const Codec &codec,
                                   const FactorRotationOptions &o = {});

/// u <- u q, v <- q^T v.
void rotateFactors(std::vector<float> &u, std::vector<float> &v, int64_t rows,
                   int64_t cols, int64_t r, const std::vector<double> &q);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_TWINTRANSFORM_H
