//===- LowBitActivations.cpp - TWLA's per-token 4/8-bit activations -------===//

#include "itq3/Format/LowBitActivations.h"

#include "itq3/Format/DenseMath.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

namespace itq3::format {

void quantizeTokenAsymmetric(const float *x, int64_t k, int bits, float clip,
                             float *out) {
  float mn = *std::min_element(x, x + k), mx = *std::max_element(x, x + k);
  float lo = clip * mn, hi = clip * mx;
  if (!(hi > lo)) {
    std::copy(x, x + k, out);
    return;
  }
  float levels = float((1 << bits) - 1);
  float scale = (hi - lo) / levels;
  // Up to 7 bits, z within [levels - 127, 127] keeps every q - z in int8
  // (the compiled quantizer's codes); only a row far from zero and narrow
  // (hi / lo within about 1.13 at 4 bits) reaches the bound. 8-bit codes
  // do not fit int8 whatever z is: no bound.
  float zero = -lo / scale;
  if (bits <= 7)
    zero = std::clamp(zero, levels - 127.0f, 127.0f);
  zero = std::nearbyint(zero);
  for (int64_t i = 0; i < k; ++i) {
    float q = std::clamp(std::nearbyint(x[i] / scale) + zero, 0.0f, levels);
    out[i] = (q - zero) * scale;
  }
}

namespace {

/// sum ||W e||^2 over the samples, e = x - x^ (or e = x when bits == 0).
double outputEnergy(const float *samples, int64_t count, int64_t k,
                    const std::vector<float> &wt, int64_t n, int bits,
                    float clip, unsigned threads) {
  double total = 0;
  std::mutex lock;
  parallelRanges(count, threads, [&](int64_t s0, int64_t s1) {
    int64_t m = s1 - s0;
    std::vector<float> e(samples + s0 * k, samples + s1 * k);
    for (int64_t s = 0; s < m && bits > 0; ++s) {
      const float *x = samples + (s0 + s) * k;
      float *d = e.data() + s * k;
      quantizeTokenAsymmetric(x, k, bits, clip, d);
      for (int64_t j = 0; j < k; ++j)
        d[j] = x[j] - d[j];
    }
    std::vector<float> y(static_cast<size_t>(m * n), 0.0f);
    gemmAccumulate(m, n, k, 1.0f, e.data(), k, wt.data(), n, y.data(), n);
    double sum = 0;
    for (float v : y)
      sum += double(v) * v;
    std::lock_guard<std::mutex> guard(lock);
    total += sum;
  });
  return total;
}

} // namespace

double activationOutputError(const float *samples, int64_t count, int64_t k,
                             const float *w, int64_t n, int bits, float clip,
                             unsigned threads) {
  std::vector<float> wt = transposed(w, n, k);
  double ref = outputEnergy(samples, count, k, wt, n, 0, 1.0f, threads);
  double err = outputEnergy(samples, count, k, wt, n, bits, clip, threads);
  return ref > 0 ? err / ref : 0.0;
}

ClipChoice searchClipRatio(const float *samples, int64_t count, int64_t k,
                           const float *w, int64_t n, int bits,
                           const std::vector<float> &candidates,
                           unsigned threads) {
  std::vector<float> wt = transposed(w, n, k);
  double ref = outputEnergy(samples, count, k, wt, n, 0, 1.0f, threads);
  ClipChoice best{1.0f, INFINITY};
  for (float c : candidates) {
    double e = outputEnergy(samples, count, k, wt, n, bits, c, threads);
    e = ref > 0 ? e / ref : 0.0;
    if (e < best.error)
      best = {c, e};
  }
  return best;
}

std::vector<float> defaultClipGrid() {
  std::vector<float> grid;
  for (int i = 0; i <= 10; ++i)
    grid.push_back(1.0f - 0.05f * float(i));
  return grid;
}

std::vector<int> allocateBits(const std::vector<double> &err4,
                              const std::vector<double> &err8,
                              const std::vector<double> &cost, double budget) {
  size_t n = err4.size();
  std::vector<int> bits(n, 4);
  double total = std::accumulate(cost.begin(), cost.end(), 0.0);
  double allowed = budget * total, used = 4.0 * total;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  auto gain = [&](size_t i) { return (err4[i] - err8[i]) / cost[i]; };
  // Ties keep the quantizers' order, so the allocation is reproducible.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return gain(a) > gain(b) || (gain(a) == gain(b) && a < b);
  });
  for (size_t i : order) {
    if (!(err4[i] - err8[i] > 0))
      break; // the rest gain nothing either (sorted)
    if (used + 4.0 * cost[i] <= allowed + 1e-9 * total) {
      bits[i] = 8;
      used += 4.0 * cost[i];
    }
  }
  return bits;
}

} // namespace itq3::format
