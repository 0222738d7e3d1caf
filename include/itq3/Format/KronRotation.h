//===- KronRotation.h - Orthogonal Kronecker rotations C (x) B ---*- C++ -*-===//
//
// TWLA's rotation (KOTMS) of a linear with K = l * r input columns is
// R = C (x) B, B r x r and C l x l orthogonal. A length-K vector x read
// row-major as the l x r matrix X rotates to vec(C X B^T) = (C (x) B) x,
// which costs K (l + r) multiply-adds instead of K^2. Weights are rotated
// offline, W' = W R^T (each row w -> R w), activations at run time
// (x -> R x), so W' (R x) = W R^T R x = W x.
//
// The fixed rotation of a factor size n is the normalized Sylvester
// Hadamard where n is a power of two, else a Haar-random orthogonal matrix
// from a seed (QR of a Gaussian matrix, signs fixed by diag(R) > 0): no
// Hadamard matrix exists for every size (576 = 18 * 32 has the factor 9),
// and a random orthogonal factor spreads outliers as well as a Hadamard one
// does. The factors' product is chosen by kronFactors.
//
// The learned rotation (Kotms.h) moves B and C by Cayley steps, which keep
// them orthogonal: Q <- (I + tau/2 A)^-1 (I - tau/2 A) Q with A = G Q^T -
// Q G^T skew-symmetric (G the Euclidean gradient), the Cayley transform of
// A being orthogonal for every tau.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_KRONROTATION_H
#define ITQ3_FORMAT_KRONROTATION_H

#include <cstdint>
#include <functional>
#include <vector>

namespace itq3::format {

/// C (x) B with C [l x l] and B [r x r] row-major; K = l * r.
struct KronRotation {
  int64_t l = 0, r = 0;
  std::vector<float> c, b;
  int64_t size() const { return l * r; }
};

/// The factor sizes of K: among the divisor pairs l >= r with l <= 4 r,
/// the one with the most power-of-two factors (those take a Hadamard
/// factor), then the one closest to square. SmolLM2: 576 -> 32 x 18,
/// 1536 -> 48 x 32; Qwen2.5-1.5B: 1536 -> 48 x 32, 8960 -> 128 x 70. A K
/// with no pair within the ratio (a prime) takes the pair closest to square.
void kronFactors(int64_t k, int64_t &l, int64_t &r);

/// The normalized Sylvester Hadamard of size n (a power of two), row-major.
std::vector<double> hadamardMatrix(int64_t n);

/// A Haar-random n x n orthogonal matrix from `seed` (Gram-Schmidt QR of a
/// Gaussian matrix, in double).
std::vector<double> randomOrthogonal(int64_t n, uint64_t seed);

/// The fixed rotation of K: each factor Hadamard or random (file comment);
/// C's seed is `seed`, B's seed + 1.
KronRotation fixedKronRotation(int64_t k, uint64_t seed);

/// y = R x (x and y of length K, distinct).
void kronRotate(const KronRotation &rot, const float *x, float *y);
/// y = R^T x: the inverse of kronRotate.
void kronUnrotate(const KronRotation &rot, const float *x, float *y);

/// out[rows x K] = in R^T (each row w -> R w), or with `inverse` in R (each
/// row -> R^T w). in and out may be the same buffer.
void kronRotateRows(const KronRotation &rot, const float *in, int64_t rows,
                    float *out, bool inverse = false, unsigned threads = 1);

/// R H R^T of a symmetric K x K matrix: the second moment of R x when h is
/// that of x.
std::vector<float> kronRotateGram(const KronRotation &rot,
                                  const std::vector<float> &h,
                                  unsigned threads = 1);

/// max |Q^T Q - I| of an n x n matrix.
double orthogonalityError(const double *q, int64_t n);
double orthogonalityError(const std::vector<float> &q, int64_t n);

/// The skew-symmetric generator A = grad q^T - q grad^T of a Cayley step
/// (n x n, row-major).
std::vector<double> skewGenerator(const std::vector<double> &q,
                                  const std::vector<double> &grad, int64_t n);

/// The Frobenius norm of skewGenerator(q, grad, n).
double skewNorm(const std::vector<double> &q, const std::vector<double> &grad,
                int64_t n);

/// One Cayley step of the n x n orthogonal q along the Euclidean gradient
/// `grad` (of a loss to lower) with step tau: (I + tau/2 A)^-1 (I - tau/2 A) q,
/// A = grad q^T - q grad^T. The result is orthogonal up to rounding.
std::vector<double> cayleyStep(const std::vector<double> &q,
                               const std::vector<double> &grad, int64_t n,
                               double tau);

/// Orthogonal matrices learned together: qs[i] is sizes[i] x sizes[i].
using OrthogonalSet = std::vector<std::vector<double>>;
/// The loss at qs, and its Euclidean gradient per matrix (same shapes) in
/// grads.
using OrthogonalLoss =
    std::function<double(const OrthogonalSet &qs, OrthogonalSet &grads)>;

struct CayleySearch {
  int steps = 24;
  /// The first trial step, in radians of each skew generator's norm.
  double initialAngle = 0.05;
  int maxHalvings = 6;
};

struct CayleyResult {
  double startLoss = 0, loss = 0;
  int accepted = 0, evaluations = 0;
};

/// Descent on a product of orthogonal groups: each step moves every matrix
/// by a Cayley step of the same angle along its gradient; a trial that does
/// not lower the loss is halved (at most maxHalvings times), an accepted
/// one lengthens the next by 1.2x. Stops after `steps`, at a stationary
/// point, or when no trial descends. qs holds the start and the result.
CayleyResult cayleyDescent(OrthogonalSet &qs, const std::vector<int64_t> &sizes,
                           const OrthogonalLoss &loss, const CayleySearch &s);

} // namespace itq3::format

#endif // ITQ3_FORMAT_KRONROTATION_H
