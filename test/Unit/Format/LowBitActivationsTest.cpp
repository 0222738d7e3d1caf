//===- LowBitActivationsTest.cpp - Per-token 4/8-bit activations ----------===//
#include "TestUtil.h"

#include "itq3/Format/LowBitActivations.h"

#include <gtest/gtest.h>

#include <set>

using namespace itq3::format;
using namespace itq3::format::test;

TEST(LowBitActivations, QuantizerMatchesItsFormula) {
  std::vector<float> x = gaussian(96, 5, 1.0f);
  x[7] = 3.5f; // asymmetric range
  for (int bits : {4, 8})
    for (float clip : {1.0f, 0.8f}) {
      std::vector<float> out(x.size());
      quantizeTokenAsymmetric(x.data(), 96, bits, clip, out.data());
      double mn = 1e9, mx = -1e9;
      for (float v : x) {
        mn = std::min(mn, double(v));
        mx = std::max(mx, double(v));
      }
      double lo = clip * mn, hi = clip * mx;
      double scale = (hi - lo) / ((1 << bits) - 1);
      double zero = std::nearbyint(-lo / scale);
      std::set<float> levels(out.begin(), out.end());
      EXPECT_LE(levels.size(), size_t(1) << bits);
      for (size_t i = 0; i < x.size(); ++i) {
        double q = std::min(std::max(std::nearbyint(x[i] / scale) + zero, 0.0),
                            double((1 << bits) - 1));
        EXPECT_NEAR(out[i], (q - zero) * scale, 1e-5 * scale + 1e-6 * std::fabs(out[i])) << bits << " " << i;
        if (x[i] >= lo && x[i] <= hi) // inside the range: within half a step
          EXPECT_LE(std::fabs(out[i] - x[i]), 0.5 * scale * (1 + 1e-4) + 1e-6);
      }
    }
  std::vector<float> flat(32, -0.5f), out(32);
  quantizeTokenAsymmetric(flat.data(), 32, 4, 0.9f, out.data());
  EXPECT_EQ(out, flat);
}

TEST(LowBitActivations, ClipSearchClipsHeavyTailsAtFourBits) {
  const int64_t count = 64, k = 128, n = 16;
  std::vector<float> x = gaussian(count * k, 7, 1.0f), w = gaussian(n * k, 8);
  for (int64_t s = 0; s < count; ++s)
    x[size_t(s * k + s % k)] = 12.0f; // one outlier per token
  ClipChoice c4 = searchClipRatio(x.data(), count, k, w.data(), n, 4,
                                  defaultClipGrid(), 2);
  double unclipped = activationOutputError(x.data(), count, k, w.data(), n, 4, 1.0f);
  EXPECT_LT(c4.clip, 1.0f);
  EXPECT_LT(c4.error, unclipped);
  EXPECT_LT(activationOutputError(x.data(), count, k, w.data(), n, 8, 1.0f),
            unclipped / 50);
}

TEST(LowBitActivations, AllocationSpendsTheBudgetOnTheLargestDrops) {
  // Four quantizers of cost 1: a budget of 5 bits on average buys one 8.
  std::vector<int> bits = allocateBits({0.1, 0.5, 0.2, 0.3}, {0.01, 0.01, 0.01, 0.01},
                                       {1, 1, 1, 1}, 5.0);
  EXPECT_EQ(bits, (std::vector<int>{4, 8, 4, 4}));
  // Per unit cost: quantizer 1 drops most but costs 3; 3 and 0 come first,
  // then 1 no longer fits and 2 does not either (36 > 5.5 * 6).
  bits = allocateBits({0.2, 0.5, 0.1, 0.3}, {0, 0, 0, 0}, {1, 3, 1, 1}, 5.5);
  EXPECT_EQ(bits, (std::vector<int>{8, 4, 4, 8}));
  double used = 0;
  for (size_t i = 0; i < bits.size(); ++i)
    used += bits[i] * std::vector<double>{1, 3, 1, 1}[i];
  EXPECT_LE(used / 6.0, 5.5);
  // The whole budget at 4 bits: nothing moves.
  bits = allocateBits({0.2, 0.5}, {0, 0}, {1, 1}, 4.0);
  EXPECT_EQ(bits, (std::vector<int>{4, 4}));
}
