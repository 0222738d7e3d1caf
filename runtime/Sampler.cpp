//===- Sampler.cpp - Greedy, temperature and nucleus sampling -------------===//
//
// The randomness is splitmix64, written out here, so a seed gives the same
// tokens on every platform and standard library (std::discrete_distribution
// and friends are implementation-defined).
//
//===----------------------------------------------------------------------===//
#include "itq3/Runtime/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace itq3::rt {
namespace {

/// The lowest index of the largest logit; NaNs never win.
int32_t argmax(const float *logits, int64_t vocab) {
  int32_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best] || std::isnan(logits[best]))
      best = int32_t(i);
  return best;
}

} // namespace

Sampler::Sampler(SamplerOptions options)
    : options_(options), state_(options.seed) {}

double Sampler::uniform() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return double(z >> 11) * 0x1.0p-53; // 53 random bits: [0, 1)
}

int32_t Sampler::sample(const float *logits, int64_t vocab) {
  if (vocab <= 0)
    return -1;
  int32_t top = argmax(logits, vocab);
  if (!(options_.temperature > 0.0f) || !std::isfinite(logits[top]))
    return top;

  // softmax(logits / T), shifted by the maximum so exp never overflows.
  double invT = 1.0 / double(options_.temperature);
  std::vector<double> weight(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < vocab; ++i) {
    double w = std::exp((double(logits[i]) - double(logits[top])) * invT);
    weight[size_t(i)] = std::isnan(w) ? 0.0 : w;
  }
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  size_t keep = order.size();
  if (options_.topP < 1.0f) {
    // The nucleus: the smallest prefix, by descending probability (ties by
    // index), whose mass reaches topP; always at least the argmax.
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      double wa = weight[size_t(a)], wb = weight[size_t(b)];
      return wa > wb || (wa == wb && a < b);
    });
    double need = double(options_.topP) * total, mass = 0.0;
    for (keep = 0; keep < order.size();) {
      mass += weight[size_t(order[keep++])];
      if (mass >= need)
        break;
    }
    total = mass;
  }
  double u = uniform() * total;
  for (size_t k = 0; k < keep; ++k) {
    u -= weight[size_t(order[k])];
    if (u < 0.0)
      return order[k];
  }
  // Rounding left u at ~0: the last kept token that can be drawn at all.
  for (size_t k = keep; k-- > 0;)
    if (weight[size_t(order[k])] > 0.0)
      return order[k];
  return top;
}

} // namespace itq3::rt
