//===- Random.h - Reproducible random numbers -------------------*- C++ -*-===//
//
// A splitmix64 counter stream: the same numbers on every host and standard
// library (std::normal_distribution is not), which the grid generator's
// regeneration test and reproducible benchmarks rely on.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_RANDOM_H
#define ITQ3_FORMAT_RANDOM_H

#include "itq3/Format/FWHT.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace itq3::format {

/// `count` distinct indices of [0, n) in increasing order, seeded (all of
/// them if fewer): a partial Fisher-Yates shuffle of splitmix64 numbers.
inline std::vector<int64_t> sampleIndices(int64_t n, int64_t count,
                                          uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  if (n <= count)
    return idx;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t z = splitmix64(seed + uint64_t(i));
    int64_t j = i + int64_t(z % uint64_t(n - i));
    std::swap(idx[size_t(i)], idx[size_t(j)]);
  }
  idx.resize(size_t(count));
  std::sort(idx.begin(), idx.end());
  return idx;
}

class RandomStream {
public:
  explicit RandomStream(uint64_t seed) : state_(seed) {}

  /// Uniform in (0, 1]: the logarithm of it is finite.
  double uniform() {
    return double((splitmix64(state_++) >> 11) + 1) * 0x1p-53;
  }

  /// Standard normal (Box-Muller; the second value of each pair is kept).
  double gaussian() {
    if (hasSpare_) {
      hasSpare_ = false;
      return spare_;
    }
    double r = std::sqrt(-2.0 * std::log(uniform()));
    double theta = 6.283185307179586 *
                   (double(splitmix64(state_++) >> 11) * 0x1p-53);
    spare_ = r * std::sin(theta);
    hasSpare_ = true;
    return r * std::cos(theta);
  }

private:
  uint64_t state_;
  double spare_ = 0;
  bool hasSpare_ = false;
};

} // namespace itq3::format

#endif // ITQ3_FORMAT_RANDOM_H
