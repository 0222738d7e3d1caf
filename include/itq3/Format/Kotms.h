//===- Kotms.h - Learning TWLA's Kronecker rotation --------------*- C++ -*-===//
//
// KOTMS makes the rotated weights tri-modal. Here the loss is the one the
// format pays directly: the relative error of the weight-only ternary fit
// (Twla.h, step 1) of the rotated rows,
//   L(B, C) = sum_n ||w'_n - fit(w'_n)||^2 / sum_n ||w_n||^2,
//   w'_n = vec(C W_n B^T),  W_n = row n read as l x r,
// on a seeded sample of the rows (the fit of every row would cost the
// whole encode per step). The fit is piecewise smooth in w' and its scales
// are least-squares optimal for its trits, so dL/dw' = 2 (w' - fit(w')) /
// sum ||w||^2 (the trits are locally constant), which gives
//   dL/dB = sum_n G_n^T C W_n,   dL/dC = sum_n G_n B W_n^T   (G_n: l x r).
// Each step moves B and C by a Cayley step (KronRotation.h) whose size is
// an angle divided by the norm of the skew direction, with backtracking:
// a step is kept only if it lowers L, the angle grows by 1.2 after a kept
// step and halves after a refused one. So the learned rotation never fits
// the sample worse than the one it starts from (the fixed rotation).
//
// The method as published fits a 3-peak Gaussian mixture with Adam (100
// steps); the direct fit error is the quantity the mixture stands in for.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_KOTMS_H
#define ITQ3_FORMAT_KOTMS_H

#include "itq3/Format/KronRotation.h"
#include "itq3/Format/Twla.h"

#include <cstdint>

namespace itq3::format {

struct KotmsOptions {
  int steps = 24;
  int64_t sampleRows = 192;
  /// Iterations of the ternary fit inside the loss (Twla.h step 1).
  int fitIterations = 6;
  /// Rotation angle of the first trial step, in radians of the skew
  /// generator's Frobenius norm.
  double initialAngle = 0.05;
  int maxHalvings = 6;
  uint64_t seed = 7;
};

struct KotmsResult {
  KronRotation rotation;
  double startLoss = 0, learnedLoss = 0; // on the sample
  int accepted = 0, evaluations = 0;
};

/// L of the rows of w [rows x k] under rot (all rows; not sampled).
double ternaryFitLoss(const KronRotation &rot, const float *w, int64_t rows,
                      const TwlaParams &p, unsigned threads = 1);

/// Learns B and C from `start` on the rows of w [rows x start.size()].
KotmsResult learnKronRotation(const float *w, int64_t rows,
                              const KronRotation &start, const TwlaParams &p,
                              const KotmsOptions &o = {});

} // namespace itq3::format

#endif // ITQ3_FORMAT_KOTMS_H
