//===- TritPlanes.h - PTQTP: a group as two scaled trit-planes --*- C++ -*-===//
//
// PTQTP approximates each group of G weights (G = 128 along a row) as
// w ~ a1 * t1 + a2 * t2 with t1, t2 in {-1, 0, 1}^G. The fit alternates
//   (a) the 2x2 ridge least-squares solve of (a1, a2) for fixed planes, the
//       ridge raised x10 from 1e-8 while the system is ill-conditioned
//       (capped at 1), and
//   (b) for every weight the best of the 9 (t1, t2) pairs for fixed scales,
// from t1 = t2 = sign(w), until the scales move by less than the tolerance
// or after the iteration cap. This is the method as described (DESIGN.md
// §6); what the description leaves open is chosen here and documented below.
//
// The fit works in floats; the stored form (the ptqtp codec) quantizes the
// scales afterwards, see PtqtpCodec.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_TRITPLANES_H
#define ITQ3_FORMAT_TRITPLANES_H

#include <cstdint>
#include <vector>

namespace itq3::format {

struct TritPlaneOptions {
  int maxIterations = 50;
  /// Converged when max |a_new - a_old| <= tolerance * max(|a1|, |a2|):
  /// relative, because an absolute 1e-4 means nothing next to weights of
  /// magnitude 1e-2 (it would stop after the first solve).
  double tolerance = 1e-4;
  /// The ridge starts here and is multiplied by 10 while the condition
  /// number of (A + lambda I) exceeds maxCondition, up to ridgeCap. A is the
  /// Gram matrix of the planes, whose entries are counts of nonzero trits,
  /// so lambda is scale-free (it does not depend on the weights' units).
  double ridgeStart = 1e-8;
  double ridgeCap = 1.0;
  double maxCondition = 1e6;
};

/// The solution of one ridge solve: the scales and the ridge used.
struct RidgeSolve {
  double a1 = 0, a2 = 0, lambda = 0;
};

/// Solves [[s11 + l, s12], [s12, s22 + l]] (a1, a2) = (b1, b2) with the
/// ridge schedule of `opts` (s11, s22 >= 0, s12^2 <= s11 s22: a Gram matrix).
RidgeSolve solveRidge2x2(double s11, double s12, double s22, double b1,
                         double b2, const TritPlaneOptions &opts = {});

/// The best (t1, t2) of the 9 pairs for w under scales (a1, a2), ties to the
/// first in the order (0,0), (1,0), (-1,0), (0,1), (0,-1), (1,1), (-1,-1),
/// (1,-1), (-1,1): at the symmetric start (a1 = a2) a small weight goes to
/// plane 1 alone, which is what makes the two planes differ.
void bestTritPair(double w, double a1, double a2, int8_t &t1, int8_t &t2);

struct TritPlaneFit {
  double a1 = 0, a2 = 0;
  std::vector<int8_t> t1, t2;
  /// Ridge solves done (1 .. maxIterations) and whether the scales settled.
  int iterations = 0;
  bool converged = false;
  /// The ridge of the first solve (planes equal: raised) and of the last.
  double firstLambda = 0, lastLambda = 0;
  /// Sum of squared errors of a1 t1 + a2 t2 against w.
  double squaredError = 0;
};

/// Fits n weights. On return a1 >= a2 >= 0 (planes negated or swapped as
/// needed, which changes nothing that decodes).
TritPlaneFit fitTritPlanes(const float *w, int64_t n,
                           const TritPlaneOptions &opts = {});

} // namespace itq3::format

#endif // ITQ3_FORMAT_TRITPLANES_H
