//===- FWHTTest.cpp - FWHT-64/256 against the Sylvester matrix ------------===//

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
  for (int n : {64, 256}) {
    ASSERT_TRUE(isFwhtSize(n));
    std::vector<float> x = test::gaussian(n, 1, 1.0f), y = x;
    fwht(y.data(), n);
    for (int i = 0; i < n; ++i) {
      double ref = 0;
      for (int j = 0; j < n; ++j)
        ref += (__builtin_popcount(unsigned(i & j)) % 2 ? -1.0 : 1.0) * x[j];
      EXPECT_NEAR(y[i], ref / std::sqrt(double(n)), 1e-5) << n << " " << i;
    }
  }
  EXPECT_FALSE(isFwhtSize(128)); // its 1/sqrt(128) scale would not be exact
  EXPECT_FALSE(isFwhtSize(32));
}

TEST(FWHT, RowsRotateInBlocksOfTheGivenSize) {
  // A 64-block rotation of a row is the FWHT-64 of each quarter of every
  // 256 columns, with the signs of the absolute columns.
  std::vector<float> x = test::gaussian(512, 4, 1.0f), y = x, z = x;
  rotateRow(y.data(), 512, 0xabcull, 64);
  for (int64_t c = 0; c < 512; c += 64) {
    for (int64_t j = 0; j < 64; ++j)
      z[size_t(c + j)] *= fwhtSign(0xabcull, c + j);
    fwht(z.data() + c, 64);
  }
  EXPECT_EQ(y, z);
  std::vector<float> by256 = x;
  rotateRow(by256.data(), 512, 0xabcull);
  EXPECT_GT(test::relativeError(by256, y), 0.5);
  unrotateRow(y.data(), 512, 0xabcull, 64);
  for (int i = 0; i < 512; ++i)
    EXPECT_NEAR(y[i], x[i], 1e-6);
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
