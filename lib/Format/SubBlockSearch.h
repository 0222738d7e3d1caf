//===- SubBlockSearch.h - Scale search for 32 magnitudes in 4-tuples ------===//
//
// Shared by the grid encoder (snapping to the 512-entry grid) and the grid
// generator (snapping to the unrestricted 4096-tuple lattice), so that the
// generator counts exactly the tuples that this search would pick.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_FORMAT_SUBBLOCKSEARCH_H
#define ITQ3_LIB_FORMAT_SUBBLOCKSEARCH_H

#include <algorithm>
#include <limits>
#include <cstdint>

namespace itq3::format::detail {

constexpr int kSubBlock = 32;
constexpr int kGroups = kSubBlock / 4;

/// The largest magnitude of a sub-block is tried at these levels (amax / s).
/// Odd integers so that re-encoding decoded data finds its exact scale
/// again. Measured on Gaussian 1024x4096: these 5 give 0.1325, the 9 levels
/// 8..16 give 0.1324 at 1.4x the time, wider sets no better (the refit and
/// the final choice of l do most of the work).
constexpr float kTrialLevels[] = {7, 9, 11, 13, 15};

/// Odd-lattice cell of a point given in level units (level 2c+1 covers
/// [2c, 2c+2)): c_0 + 8 c_1 + 64 c_2 + 512 c_3, each c clamped to 0..7.
/// Clamped before the conversion: a tiny importance-weighted scale can put
/// y far beyond the int range.
inline int latticeCell(const float *y) {
  int cell = 0;
  for (int j = 3; j >= 0; --j) {
    // Written so that a NaN lands in the last cell rather than in int(NaN).
    float half = y[j] * 0.5f;
    int c = half < 7.0f ? int(half) : 7;
    cell = cell * 8 + c;
  }
  return cell;
}

struct SubBlockFit {
  float scale = 0;    // least-squares scale for the chosen indices
  float score = -1;   // (sum w x g)^2 / sum w g^2: larger = lower error
  int index[kGroups] = {};
};

/// Snaps the 8 groups of x at 1/inv and returns the refit (scale, score).
template <class Snapper>
SubBlockFit snapAndRefit(const float *x, const float *w, float inv,
                         const Snapper &snapper) {
  SubBlockFit fit;
  double sxg = 0, sgg = 0;
  for (int k = 0; k < kGroups; ++k) {
    const float *xs = x + 4 * k, *ws = w + 4 * k;
    float y[4] = {xs[0] * inv, xs[1] * inv, xs[2] * inv, xs[3] * inv};
    int index = snapper.snap(y, ws);
    fit.index[k] = index;
    const float *g = snapper.levels(index);
    for (int j = 0; j < 4; ++j) {
      sxg += double(ws[j]) * xs[j] * g[j];
      sgg += double(ws[j]) * g[j] * g[j];
    }
  }
  if (sgg > 0 && sxg > 0) {
    fit.scale = float(sxg / sgg);
    fit.score = float(sxg * sxg / sgg);
  } else {
    fit.score = 0;
  }
  return fit;
}

/// Best (scale, indices) over the trial scales, plus one refinement step at
/// the refit scale. x are magnitudes, w >= 0 weights with a positive sum.
template <class Snapper>
SubBlockFit fitSubBlock(const float *x, const float *w, const Snapper &snapper) {
  float amax = *std::max_element(x, x + kSubBlock);
  SubBlockFit best;
  // Below FLT_MIN the trial scales t / amax overflow to infinity; no fp16
  // scale reaches such values anyway, so the sub-block is coded as zero.
  if (!(amax >= std::numeric_limits<float>::min())) {
    std::fill(best.index, best.index + kGroups, snapper.zeroIndex());
    best.score = 0;
    return best;
  }
  for (float t : kTrialLevels) {
    SubBlockFit fit = snapAndRefit(x, w, t / amax, snapper);
    if (fit.score > best.score)
      best = fit;
  }
  if (best.scale > 0) {
    SubBlockFit fit = snapAndRefit(x, w, 1.0f / best.scale, snapper);
    if (fit.score > best.score)
      best = fit;
  }
  return best;
}

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_SUBBLOCKSEARCH_H
