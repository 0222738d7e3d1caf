//===- ImportanceTest.cpp - Calibration statistics for importance ---------===//

#include "itq3/Format/Codec.h"
#include "itq3/Format/Importance.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace itq3::format;

TEST(Importance, IsTheMeanSquareInTheChosenDomain) {
  const int64_t tokens = 3, cols = 512;
  std::vector<float> x = test::gaussian(tokens * cols, 1, 1.0f);
  std::vector<float> plain(cols), rotated(cols);
  ASSERT_TRUE(activationImportance(x.data(), tokens, cols, 0, 0, plain.data()).ok());
  ASSERT_TRUE(activationImportance(x.data(), tokens, cols, 256, 9, rotated.data()).ok());
  std::vector<float> r = x;
  for (int64_t t = 0; t < tokens; ++t)
    rotateRow(&r[size_t(t * cols)], cols, 9);
  for (int64_t c = 0; c < cols; ++c) {
    double p = 0, q = 0;
    for (int64_t t = 0; t < tokens; ++t) {
      p += double(x[size_t(t * cols + c)]) * x[size_t(t * cols + c)];
      q += double(r[size_t(t * cols + c)]) * r[size_t(t * cols + c)];
    }
    EXPECT_NEAR(plain[size_t(c)], p / tokens, 1e-5);
    EXPECT_NEAR(rotated[size_t(c)], q / tokens, 1e-5);
  }
}

TEST(Importance, RotatedImportanceLowersTheOutputErrorOfItq3s) {
  // Activations = noise + a_t v, with v loud on a few *rotated* coordinates
  // (independent loud channels would not do: the rotation of a diagonal
  // statistic is a constant). Weighting the rotated coefficients by
  // E[(Hx)^2] must lower the error of y = W x on these activations.
  const int64_t rows = 16, cols = 512, tokens = 64;
  std::vector<float> w = test::gaussian(rows * cols, 2);
  std::vector<float> x = test::gaussian(tokens * cols, 3, 1.0f);
  std::vector<float> a = test::gaussian(tokens, 4, 1.0f);
  std::vector<float> v(cols, 0.0f);
  for (int64_t c = 5; c < cols; c += 61)
    v[size_t(c)] = 30.0f;
  unrotateRow(v.data(), cols, 0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < cols; ++c)
      x[size_t(t * cols + c)] += a[size_t(t)] * v[size_t(c)];
  std::vector<float> imp(cols);
  ASSERT_TRUE(activationImportance(x.data(), tokens, cols, 256, 0, imp.data()).ok());
  std::unique_ptr<Codec> codec = createCodec(FormatKind::ITQ3S);
  EncodeOptions eo;
  eo.importance = imp.data();
  auto outputError = [&](const std::vector<float> &what) {
    double e = 0;
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        double d = 0;
        for (int64_t c = 0; c < cols; ++c)
          d += (double(what[size_t(r * cols + c)]) - w[size_t(r * cols + c)]) *
               x[size_t(t * cols + c)];
        e += d * d;
      }
    return e;
  };
  double flat = outputError(test::roundTrip(*codec, w, rows, cols).decoded);
  double weighted = outputError(test::roundTrip(*codec, w, rows, cols, eo).decoded);
  EXPECT_LT(weighted, 0.9 * flat);
}

TEST(Importance, RefusesBadInput) {
  std::vector<float> x(512, 1.0f), out(512);
  EXPECT_FALSE(activationImportance(x.data(), 1, 300, 256, 0, out.data()).ok());
  EXPECT_FALSE(activationImportance(x.data(), 0, 512, 0, 0, out.data()).ok());
  x[7] = std::numeric_limits<float>::infinity();
  Status s = activationImportance(x.data(), 1, 512, 0, 0, out.data());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("column 7"), std::string::npos);
}
