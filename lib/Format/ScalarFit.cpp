//===- ScalarFit.cpp - Least-squares scale for uniform scalar codes -------===//

#include "ScalarFit.h"

#include "itq3/Format/Half.h"

#include <algorithm>
#include <cmath>

namespace itq3::format::detail {

int UniformLevels::code(float y) const {
  // Clamp first, then round half up by truncation (non-negative here): no
  // floorf call, which baseline x86-64 cannot inline.
  float q = std::clamp((y - float(b)) / float(a), 0.0f, float(qmax));
  return int(q + 0.5f);
}

namespace {

struct Trial {
  double sxl = 0, sll = 0; // sum w x l, sum w l^2
  double score() const { return sll > 0 ? sxl * sxl / sll : 0; }
  float refit() const { return sll > 0 ? float(sxl / sll) : 0.0f; }
};

Trial tryScale(const float *x, const float *w, int n, const UniformLevels &L,
               float d) {
  Trial t;
  float inv = 1.0f / d;
  for (int i = 0; i < n; ++i) {
    double l = L.level(L.code(x[i] * inv));
    double wi = w ? w[i] : 1.0;
    t.sxl += wi * x[i] * l;
    t.sll += wi * l * l;
  }
  return t;
}

/// Saturates at the largest half: callers refuse data far beyond the range.
float toHalfScale(float d) {
  return roundToHalf(std::clamp(d, -kHalfMax, kHalfMax));
}

} // namespace

/// Least-squares d (unrounded) for the value m of largest magnitude.
static float searchScale(const float *x, const float *w, int n,
                         const UniformLevels &L,
                         const std::vector<float> &targets, float m) {
  float best = 0;
  double bestScore = -1;
  for (float t : targets) {
    Trial trial = tryScale(x, w, n, L, m / t);
    if (trial.score() > bestScore && trial.refit() != 0) {
      bestScore = trial.score();
      best = trial.refit();
    }
  }
  if (best != 0) { // one refinement at the refit scale
    Trial trial = tryScale(x, w, n, L, best);
    if (trial.score() > bestScore && trial.refit() != 0)
      best = trial.refit();
  }
  return best;
}

float fitUniform(const float *x, const float *w, int n, const UniformLevels &L,
                 const std::vector<float> &targets, uint8_t *codes) {
  float m = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(m))
      m = x[i];
  // A block of zero importance still needs a scale: fit it flat.
  if (w && std::all_of(w, w + n, [](float v) { return v <= 0; }))
    w = nullptr;
  // At or below kHalfZeroBelow the scale stores as zero: never divide by it.
  float d = std::fabs(m) <= kHalfZeroBelow
                ? 0.0f
                : toHalfScale(searchScale(x, w, n, L, targets, m));
  // Codes are recomputed with the stored d; with d = 0 they are the codes
  // nearest to level 0, which decode to 0 anyway.
  float inv = d != 0 ? 1.0f / d : 0.0f;
  for (int i = 0; i < n; ++i)
    codes[i] = uint8_t(L.code(x[i] * inv));
  return d;
}

} // namespace itq3::format::detail
