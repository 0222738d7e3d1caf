//===- ActivationQuantTest.cpp - Int8 activations against hand-written math ===//

#include "itq3/Format/ActivationQuant.h"
#include "itq3/Format/FWHT.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace itq3::format;

namespace {

/// The definition written out plainly: per 32, scale = max|v| / 127,
/// q = round half away from zero of v / scale, value q * scale.
std::vector<float> dequantizedByHand(const std::vector<float> &v) {
  std::vector<float> out(v.size());
  for (size_t g = 0; g < v.size() / 32; ++g) {
    float max = 0;
    for (size_t e = 0; e < 32; ++e)
      max = std::max(max, std::fabs(v[g * 32 + e]));
    float scale = max / 127.0f;
    for (size_t e = 0; e < 32; ++e) {
      float r = max > 0 ? v[g * 32 + e] / scale : 0.0f;
      float q = r < 0 ? -std::floor(-r + 0.5f) : std::floor(r + 0.5f);
      out[g * 32 + e] = q * scale;
    }
  }
  return out;
}

} // namespace

TEST(ActivationQuant, CodesAndScalesByHand) {
  // Group 0: max 63.5 -> scale 0.5 exactly; -0.75 / 0.5 = -1.5 rounds away
  // from zero to -2, 0.25 / 0.5 = 0.5 to 1, 0.2 / 0.5 = 0.4 to 0.
  // Group 1: all zeros. Group 2: one nonzero, which becomes -127.
  std::vector<float> v(96, 0.0f);
  v[0] = 63.5f, v[1] = -0.75f, v[2] = 0.25f, v[3] = 0.2f, v[4] = -63.5f;
  v[64 + 5] = -0.3f;
  std::vector<int8_t> q(96, 99);
  std::vector<float> scales(3, 99.0f);
  quantizeActivationsInt8(v.data(), 96, q.data(), scales.data());
  EXPECT_EQ(scales[0], 0.5f);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], -2);
  EXPECT_EQ(q[2], 1);
  EXPECT_EQ(q[3], 0);
  EXPECT_EQ(q[4], -127);
  EXPECT_EQ(scales[1], 0.0f);
  for (int i = 32; i < 64; ++i)
    EXPECT_EQ(q[size_t(i)], 0) << i;
  EXPECT_EQ(scales[2], 0.3f / 127.0f);
  EXPECT_EQ(q[64 + 5], -127);
  for (int i = 64; i < 96; ++i)
    if (i != 69)
      EXPECT_EQ(q[size_t(i)], 0) << i;
}

TEST(ActivationQuant, RowMatchesHandReferenceUnrotated) {
  std::vector<float> x = test::gaussian(256, 3, 1.0f);
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f); // a zero group
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);
  x[70] = 0.75f;                                    // a single nonzero
  std::vector<float> out(256);
  quantizeActivationRow(x.data(), 256, 0, 0, out.data());
  std::vector<float> want = dequantizedByHand(x);
  for (size_t i = 0; i < 256; ++i)
    EXPECT_EQ(out[i], want[i]) << i;
  EXPECT_EQ(out[70], 0.75f);
  EXPECT_EQ(out[40], 0.0f);
}

TEST(ActivationQuant, RowMatchesHandReferenceRotated) {
  const uint64_t seed = 0x5eed;
  std::vector<float> x = test::gaussian(512, 4, 1.0f);
  std::vector<float> out(512);
  quantizeActivationRow(x.data(), 512, 256, seed, out.data());
  // By hand: rotate, quantize, dequantize, rotate back.
  std::vector<float> r = x;
  rotateRow(r.data(), 512, seed);
  std::vector<float> want = dequantizedByHand(r);
  unrotateRow(want.data(), 512, seed);
  for (size_t i = 0; i < 512; ++i)
    EXPECT_NEAR(out[i], want[i], 1e-6) << i;
  // The result is a small perturbation of x, not x itself.
  double err = 0, norm = 0;
  for (size_t i = 0; i < 512; ++i) {
    err += (double(out[i]) - x[i]) * (double(out[i]) - x[i]);
    norm += double(x[i]) * x[i];
  }
  EXPECT_GT(std::sqrt(err / norm), 1e-4);
  EXPECT_LT(std::sqrt(err / norm), 2e-2);
}

TEST(ActivationQuant, RepresentableInputIsExact) {
  // Every value a multiple of 0.25 and each group's max exactly 127 * 0.25,
  // so the scale is 0.25, every code exact and quantizing changes nothing.
  std::vector<float> x(64);
  const float step = 0.25f;
  for (size_t i = 0; i < 64; ++i)
    x[i] = step * float(int(i * 37 % 255) - 127);
  x[0] = 127 * step;   // group 0's max
  x[40] = -127 * step; // group 1's max
  std::vector<float> out(64);
  quantizeActivationRow(x.data(), 64, 0, 0, out.data());
  for (size_t i = 0; i < 64; ++i)
    EXPECT_EQ(out[i], x[i]) << i;
}

TEST(ActivationQuant, OutputMayAliasInput) {
  std::vector<float> x = test::gaussian(256, 5, 1.0f), out(256);
  quantizeActivationRow(x.data(), 256, 256, 9, out.data());
  quantizeActivationRow(x.data(), 256, 256, 9, x.data());
  EXPECT_EQ(x, out);
}
