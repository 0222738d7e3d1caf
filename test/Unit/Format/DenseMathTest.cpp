//===- DenseMathTest.cpp - GEMM kernel and Cholesky against plain loops ---===//

#include "TestUtil.h"
#include "itq3/Format/DenseMath.h"

#include <gtest/gtest.h>

using namespace itq3::format;
using namespace itq3::format::test;

TEST(DenseMath, GemmMatchesPlainLoopsOnOddShapes) {
  // 37 x 53 x 301: row tail (not a multiple of 4), column tail (not of 16)
  // and a depth over one 256-block.
  const int64_t m = 37, n = 53, k = 301, lda = k + 3, ldb = n + 5, ldc = n + 2;
  std::vector<float> a = gaussian(m * lda, 1, 1.0f), b = gaussian(k * ldb, 2, 1.0f);
  std::vector<float> c = gaussian(m * ldc, 3, 1.0f), want = c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += double(a[size_t(i * lda + p)]) * b[size_t(p * ldb + j)];
      want[size_t(i * ldc + j)] += float(-0.5 * s);
    }
  gemmAccumulate(m, n, k, -0.5f, a.data(), lda, b.data(), ldb, c.data(), ldc);
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_NEAR(c[i], want[i], 1e-3) << i; // includes the untouched padding
}

/// A well-conditioned SPD matrix: X^T X / rows + I.
static std::vector<float> spd(int64_t n, uint64_t seed) {
  int64_t rows = 2 * n;
  std::vector<float> x = gaussian(rows * n, seed, 1.0f), h(size_t(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t t = 0; t < rows; ++t)
        s += double(x[size_t(t * n + i)]) * x[size_t(t * n + j)];
      h[size_t(i * n + j)] = float(s / double(rows) + (i == j));
    }
  return h;
}

TEST(DenseMath, CholeskyReconstructsTheMatrix) {
  const int64_t n = 300; // more than two 128-blocks, with a tail
  std::vector<float> h = spd(n, 7), l = h;
  ASSERT_TRUE(choleskyLower(l.data(), n, 2));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t p = 0; p <= j; ++p)
        s += double(l[size_t(i * n + p)]) * l[size_t(j * n + p)];
      ASSERT_NEAR(s, h[size_t(i * n + j)], 2e-4 * (1 + std::fabs(h[size_t(i * n + j)])))
          << i << "," << j;
    }
}

TEST(DenseMath, CholeskyRefusesAnIndefiniteMatrix) {
  const int64_t n = 140;
  std::vector<float> h = spd(n, 8);
  h[size_t(139 * n + 139)] = -1.0f;
  Status s = choleskyLower(h.data(), n, 1);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("not positive definite (pivot 139"), std::string::npos)
      << s.message();
}
