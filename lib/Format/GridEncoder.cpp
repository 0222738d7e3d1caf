//===- GridEncoder.cpp - Encode/decode one grid block ---------------------===//

#include "itq3/Format/GridCodec.h"
#include "itq3/Format/Half.h"

#include "GridBlock.h"
#include "GridSnapper.h"
#include "SubBlockSearch.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace itq3::format {

namespace {

using detail::GridSnapper;
using detail::kGroups;
using detail::kSubBlock;
constexpr int kMaxSubBlocks = kGridBlockWeights / kSubBlock;
constexpr int kMaxOddScale = 31; // 2 l + 1 with l = 15

/// Snaps a sub-block at a fixed scale; returns the weighted squared error.
double snapAtScale(const float *x, const float *w, float scale,
                   const GridSnapper &snapper, int *index) {
  double err = 0;
  float inv = 1.0f / scale;
  for (int k = 0; k < kGroups; ++k) {
    const float *xs = x + 4 * k, *ws = w + 4 * k;
    float y[4] = {xs[0] * inv, xs[1] * inv, xs[2] * inv, xs[3] * inv};
    index[k] = snapper.snap(y, ws);
    const float *g = snapper.levels(index[k]);
    for (int j = 0; j < 4; ++j) {
      double e = double(xs[j]) - double(scale) * g[j];
      err += ws[j] * e * e;
    }
  }
  return err;
}

/// Per-weight weights: importance (or 1) times 1 or x^2. A sub-block whose
/// weights are all zero falls back to flat so that its fit stays defined.
void makeWeights(const float *mag, const float *importance,
                 GridWeighting weighting, GridLayout layout, float *w) {
  for (int i = 0; i < layout.weights; ++i) {
    float base = importance ? importance[i] : 1.0f;
    w[i] = weighting == GridWeighting::Square ? base * mag[i] * mag[i] : base;
  }
  for (int s = 0; s < layout.subBlocks(); ++s) {
    float *ws = w + s * kSubBlock;
    if (std::all_of(ws, ws + kSubBlock, [](float v) { return v <= 0; }))
      std::fill(ws, ws + kSubBlock, 1.0f);
  }
}

/// Picks l for one sub-block given d: the best of the three l nearest to the
/// fitted scale (or 15 for the sub-block that defined d), re-snapped at the
/// quantized scale d (2l+1).
int chooseSubScale(const float *x, const float *w, float fitted, float d,
                   bool forceMax, const GridSnapper &snapper, int *index) {
  int centre = forceMax ? 15
                        : std::clamp(int(std::lround((fitted / d - 1) / 2)), 0, 15);
  int lo = forceMax ? 15 : std::max(centre - 1, 0);
  int hi = forceMax ? 15 : std::min(centre + 1, 15);
  int bestL = centre;
  double bestErr = snapAtScale(x, w, d * float(2 * centre + 1), snapper, index);
  for (int l = lo; l <= hi; ++l) {
    if (l == centre)
      continue;
    int trial[kGroups];
    double err = snapAtScale(x, w, d * float(2 * l + 1), snapper, trial);
    if (err < bestErr) {
      bestErr = err;
      bestL = l;
      std::copy(trial, trial + kGroups, index);
    }
  }
  return bestL;
}

} // namespace

void detail::writeGridBlock(uint8_t *dst, float d, const int *subScale,
                            const int *index, const uint8_t *negative,
                            GridLayout layout) {
  std::memset(dst, 0, size_t(layout.bytes()));
  storeHalf(dst, d);
  for (int g = 0; g < layout.weights / 4; ++g) {
    dst[layout.qs() + g] = uint8_t(index[g] & 0xff);
    dst[layout.qh() + g / 8] |= uint8_t(((index[g] >> 8) & 1) << (g % 8));
  }
  for (int i = 0; i < layout.weights; ++i)
    if (negative[i])
      dst[layout.signs() + i / 8] |= uint8_t(1u << (i % 8));
  for (int s = 0; s < layout.subBlocks(); ++s)
    dst[layout.scales() + s / 2] |= uint8_t(subScale[s] << (4 * (s % 2)));
}

static void writeBlock(uint8_t *dst, float d, const int *subScale,
                       const int *index, const float *values,
                       GridLayout layout) {
  uint8_t negative[kGridBlockWeights];
  for (int i = 0; i < layout.weights; ++i)
    negative[i] = values[i] < 0;
  detail::writeGridBlock(dst, d, subScale, index, negative, layout);
}

void encodeGridBlock(const float *values, const float *importance,
                     const GridTables &tables, GridWeighting weighting,
                     uint8_t *dst, GridLayout layout) {
  const int n = layout.weights, subBlocks = layout.subBlocks();
  float mag[kGridBlockWeights], w[kGridBlockWeights];
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    mag[i] = std::fabs(values[i]);
    amax = std::max(amax, mag[i]);
  }
  int index[kGridBlockWeights / 4];
  std::fill(index, index + n / 4, tables.smallestIndex());
  int subScale[kMaxSubBlocks] = {};
  if (amax <= kHalfZeroBelow) { // even d = amax would store as 0
    writeBlock(dst, 0.0f, subScale, index, values, layout);
    return;
  }
  makeWeights(mag, importance, weighting, layout, w);

  GridSnapper snapper(tables);
  float fitted[kMaxSubBlocks];
  int top = 0;
  for (int s = 0; s < subBlocks; ++s) {
    fitted[s] = detail::fitSubBlock(mag + s * kSubBlock, w + s * kSubBlock,
                                    snapper).scale;
    if (fitted[s] > fitted[top])
      top = s;
  }
  // The fp16 d saturates rather than overflowing; callers refuse inputs far
  // beyond kHalfMax * 31 * 15 before getting here. (Also trying d = top/30
  // and top/29, keeping the best, cut the error by 0.3% for 1.5x the time:
  // not worth it.)
  float d = roundToHalf(std::min(fitted[top] / kMaxOddScale, kHalfMax));
  for (int s = 0; d > 0 && s < subBlocks; ++s)
    subScale[s] = chooseSubScale(mag + s * kSubBlock, w + s * kSubBlock,
                                 fitted[s], d, s == top, snapper,
                                 index + s * kGroups);
  writeBlock(dst, d, subScale, index, values, layout);
}

float gridBlockScale(const uint8_t *block) { return loadHalf(block); }

int gridBlockIndex(const uint8_t *block, int group, GridLayout layout) {
  int high = (block[layout.qh() + group / 8] >> (group % 8)) & 1;
  return block[layout.qs() + group] | (high << 8);
}

int gridBlockSubScale(const uint8_t *block, int subBlock, GridLayout layout) {
  return (block[layout.scales() + subBlock / 2] >> (4 * (subBlock % 2))) & 0xf;
}

bool gridBlockSign(const uint8_t *block, int weight, GridLayout layout) {
  return (block[layout.signs() + weight / 8] >> (weight % 8)) & 1;
}

void decodeGridBlock(const uint8_t *src, const GridTables &tables, float *dst,
                     GridLayout layout) {
  float d = gridBlockScale(src);
  for (int s = 0; s < layout.subBlocks(); ++s) {
    float scale = d * float(2 * gridBlockSubScale(src, s, layout) + 1);
    for (int k = 0; k < kGroups; ++k) {
      int group = s * kGroups + k;
      const float *g = tables.levels(gridBlockIndex(src, group, layout));
      for (int j = 0; j < 4; ++j) {
        int i = 4 * group + j;
        float v = scale * g[j];
        dst[i] = gridBlockSign(src, i, layout) ? -v : v;
      }
    }
  }
}

} // namespace itq3::format
