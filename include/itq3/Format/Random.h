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

#include <cmath>
#include <cstdint>

namespace itq3::format {

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
