//===- FWHTTest.cpp - FWHT-256 against the Sylvester matrix ---------------===//

#include "itq3/Format/FWHT.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace itq3::format;

namespace {

double norm(const float *v, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i)
    s += double(v[i]) * v[i];
  return std::sqrt(s);
}

} // namespace

TEST(FWHT, MatchesSylvesterMatrix) {
  std::vector<float> x = test::gaussian(256, 1, 1.0f), y = x;
  fwht256(y.data());
  for (int i = 0; i < 256; ++i) {
    double ref = 0;
    for (int j = 0; j < 256; ++j)
      ref += (__builtin_popcount(unsigned(i & j)) % 2 ? -1.0 : 1.0) * x[j];
    EXPECT_NEAR(y[i], ref / 16.0, 1e-5) << i;
  }
}

TEST(FWHT, IsAnInvolutionAndPreservesNorm) {
  std::vector<float> x = test::gaussian(256, 2, 1.0f), y = x;
  fwht256(y.data());
  EXPECT_NEAR(norm(y.data(), 256), norm(x.data(), 256), 1e-4);
  fwht256(y.data());
  for (int i = 0; i < 256; ++i)
    EXPECT_NEAR(y[i], x[i], 1e-6);
}

TEST(FWHT, SignedRotationInvertsAndPreservesNorm) {
  std::vector<float> x = test::gaussian(1024, 3, 1.0f), y = x;
  rotateRow(y.data(), 1024, 0xfeedull);
  EXPECT_NEAR(norm(y.data(), 1024), norm(x.data(), 1024), 1e-4);
  std::vector<float> plain = x;
  rotateRow(plain.data(), 1024, 0);
  EXPECT_GT(test::relativeError(plain, y), 0.5); // the signs do something
  unrotateRow(y.data(), 1024, 0xfeedull);
  for (int i = 0; i < 1024; ++i)
    EXPECT_NEAR(y[i], x[i], 1e-6);
}

TEST(FWHT, SignsAreDeterministicAndBalanced) {
  int negative = 0;
  for (int c = 0; c < 4096; ++c) {
    EXPECT_EQ(fwhtSign(0, c), 1.0f);
    float s = fwhtSign(7, c);
    EXPECT_EQ(s, fwhtSign(7, c));
    EXPECT_TRUE(s == 1.0f || s == -1.0f);
    negative += s < 0;
  }
  EXPECT_GT(negative, 1900);
  EXPECT_LT(negative, 2200);
  // Pin the definition documented in FWHT.h (code generators rely on it).
  EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFull);
}
