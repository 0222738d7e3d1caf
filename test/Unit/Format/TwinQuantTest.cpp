//===- TwinQuantTest.cpp - twinquant and its truncated SVD ----------------===//

#include "itq3/Format/Calibrated.h"
#include "itq3/Format/Codec.h"
#include "itq3/Format/FWHT.h"
#include "itq3/Format/LowRank.h"
#include "itq3/Format/KronRotation.h"
#include "itq3/Format/TwinQuant.h"

#include "TestUtil.h"
#include "TwinTransform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace itq3::format;
using itq3::format::test::gaussian;
using itq3::format::test::relativeError;

namespace {

/// a[rows x cols] = sum_j sigma_j h_j g_j^T with h_j, g_j rows of the
/// normalized Sylvester Hadamard (orthonormal): known singular values.
std::vector<float> plantedSpectrum(int64_t rows, int64_t cols,
                                   const std::vector<double> &sigma) {
  auto had = [](int64_t i, int64_t j, int64_t n) {
    return ((__builtin_popcountll(uint64_t(i & j)) & 1) ? -1.0 : 1.0) /
           std::sqrt(double(n));
  };
  std::vector<float> a(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double s = 0;
      for (size_t j = 0; j < sigma.size(); ++j)
        s += sigma[j] * had(int64_t(j) + 1, r, rows) * had(int64_t(j) + 3, c, cols);
      a[size_t(r * cols + c)] = float(s);
    }
  return a;
}

/// u[rows x r] v[r x cols] in double.
std::vector<double> product(const std::vector<float> &u, const std::vector<float> &v,
                            int64_t rows, int64_t cols, int64_t r) {
  std::vector<double> p(size_t(rows * cols), 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < r; ++j)
      for (int64_t c = 0; c < cols; ++c)
        p[size_t(i * cols + c)] += double(u[size_t(i * r + j)]) * v[size_t(j * cols + c)];
  return p;
}

std::vector<float> roundTrip(const std::vector<float> &w, int64_t rows, int64_t cols,
                             const TwinQuantParams &p, const float *importance = nullptr) {
  std::vector<uint8_t> packed;
  TwinEncodeOptions o;
  o.importance = importance;
  o.threads = 2;
  Status s = encodeTwinQuant(w.data(), rows, cols, p, o, packed);
  EXPECT_TRUE(s.ok()) << s.message();
  std::vector<float> back(w.size());
  Status d = decodeTwinQuant(packed.data(), rows, cols, p, back.data());
  EXPECT_TRUE(d.ok()) << d.message();
  return back;
}

double q4Error(const std::vector<float> &w, int64_t rows, int64_t cols) {
  auto q4 = createCodec(FormatKind::Q4);
  std::vector<uint8_t> bytes(size_t(q4->matrixBytes(rows, cols)));
  EXPECT_TRUE(q4->encodeRows(w.data(), rows, cols, bytes.data()).ok());
  std::vector<float> back(w.size());
  EXPECT_TRUE(q4->decodeRows(bytes.data(), rows, cols, back.data()).ok());
  return relativeError(w, back);
}

/// Gaussian noise (sigma 0.02) plus a rank-4 part of entries ~9x larger
/// (sqrt(4) 0.3^2): weights whose few large directions set every block's
/// range.
std::vector<float> noisyLowRank(int64_t rows, int64_t cols) {
  std::vector<float> w = gaussian(rows * cols, 7);
  std::vector<float> u = gaussian(rows * 4, 8, 0.3f), v = gaussian(4 * cols, 9, 0.3f);
  std::vector<double> p = product(u, v, rows, cols, 4);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] += float(p[i]);
  return w;
}

} // namespace

TEST(LowRank, SymmetricEigenOfAKnownMatrix) {
  // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1) and (1, -1).
  std::vector<double> values, vectors;
  symmetricEigen({2, 1, 1, 2}, 2, values, vectors);
  EXPECT_NEAR(values[0], 3, 1e-12);
  EXPECT_NEAR(values[1], 1, 1e-12);
  EXPECT_NEAR(std::fabs(vectors[0]), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(vectors[0], vectors[2], 1e-12); // column 0 is (1, 1)/sqrt 2
}

TEST(LowRank, RecoversPlantedSingularValues) {
  std::vector<double> sigma = {9, 5, 3, 2, 1, 0.5};
  std::vector<float> a = plantedSpectrum(128, 256, sigma);
  LowRankFactors f;
  ASSERT_TRUE(truncatedSvd(a.data(), 128, 256, 4, {}, f).ok());
  for (int j = 0; j < 4; ++j)
    EXPECT_NEAR(f.sigma[size_t(j)], sigma[size_t(j)], 1e-4 * sigma[0]) << j;
  // Eckart-Young: the rank-4 error is sqrt(1^2 + 0.5^2) of a total norm
  // sqrt(sum sigma^2).
  std::vector<double> p = product(f.left, f.right, 128, 256, 4);
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - p[i]) * (a[i] - p[i]);
    den += double(a[i]) * a[i];
  }
  EXPECT_NEAR(std::sqrt(num), std::sqrt(1.25), 1e-3);
  EXPECT_NEAR(std::sqrt(den), std::sqrt(81 + 25 + 9 + 4 + 1 + 0.25), 1e-3);
}

TEST(LowRank, FullRankOfARankDeficientMatrixIsExact) {
  std::vector<float> a = plantedSpectrum(64, 96, {4, 2});
  LowRankFactors f;
  ASSERT_TRUE(truncatedSvd(a.data(), 64, 96, 64, {}, f).ok());
  std::vector<double> p = product(f.left, f.right, 64, 96, 64);
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(p[i], a[i], 1e-5) << i;
  EXPECT_NEAR(f.sigma[2], 0, 1e-5);
}

TEST(LowRank, BadRankIsRefused) {
  std::vector<float> a(32 * 64, 1.0f);
  LowRankFactors f;
  EXPECT_FALSE(truncatedSvd(a.data(), 32, 64, 0, {}, f).ok());
  Status s = truncatedSvd(a.data(), 32, 64, 33, {}, f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rank 33 of a 32 x 64"), std::string::npos) << s.message();
}

TEST(TwinQuant, BitsPerWeightCountEveryStoredByte) {
  TwinQuantParams p;
  p.rank = 32;
  TwinQuantLayout l;
  ASSERT_TRUE(twinQuantLayout(256, 512, p, l).ok());
  // q4 residual 18 bytes per 32; U^T 32 rows x 8 q8 blocks; V 32 x 16.
  EXPECT_EQ(l.residualBytes, 256 * 512 / 32 * 18);
  EXPECT_EQ(l.uBytes, 32 * 8 * 34);
  EXPECT_EQ(l.vBytes, 32 * 16 * 34);
  EXPECT_DOUBLE_EQ(l.bitsPerWeight(256, 512), 99840.0 * 8 / (256 * 512));
  p.factorBits = 4;
  ASSERT_TRUE(twinQuantLayout(256, 512, p, l).ok());
  EXPECT_EQ(l.uBytes + l.vBytes, 32 * 24 * 18);
  std::vector<float> w = gaussian(256 * 512, 3);
  std::vector<uint8_t> packed;
  ASSERT_TRUE(encodeTwinQuant(w.data(), 256, 512, p, {}, packed).ok());
  EXPECT_EQ(int64_t(packed.size()), l.totalBytes());
}

TEST(TwinQuant, RankForBudgetIsTheLargestThatFits) {
  for (int bits : {4, 8})
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1536, 8960}, {576, 576},
                              {256, 1536}}) {
      int64_t r = twinRankForBudget(rows, cols, bits, 0.5);
      TwinQuantParams p;
      p.factorBits = bits;
      TwinQuantLayout l;
      p.rank = r;
      ASSERT_TRUE(twinQuantLayout(rows, cols, p, l).ok());
      EXPECT_LE(l.bitsPerWeight(rows, cols), 4.5 + 0.5);
      p.rank = r + 1;
      ASSERT_TRUE(twinQuantLayout(rows, cols, p, l).ok());
      EXPECT_GT(l.bitsPerWeight(rows, cols), 4.5 + 0.5) << rows << "x" << cols;
    }
}

TEST(TwinQuant, DecodeIsTheFloatProductOfTheDecodedComponents) {
  std::vector<float> w = noisyLowRank(96, 512);
  for (bool rotated : {false, true})
    for (TwinTransform t : {TwinTransform::None, TwinTransform::Hadamard,
                            TwinTransform::Learned})
      for (int bits : {4, 8}) {
        TwinQuantParams p;
        p.rank = 16;
        p.factorBits = bits;
        p.rotateResidual = rotated;
        p.signSeed = rotated ? 11 : 0;
        p.transform = t;
        std::vector<uint8_t> packed;
        ASSERT_TRUE(encodeTwinQuant(w.data(), 96, 512, p, {}, packed).ok());
        TwinComponents c;
        ASSERT_TRUE(decodeTwinComponents(packed.data(), 96, 512, p, c).ok());
        if (rotated)
          for (int64_t r = 0; r < 96; ++r)
            unrotateRow(c.residual.data() + r * 512, 512, p.signSeed);
        std::vector<double> expect = product(c.u, c.v, 96, 512, p.rank);
        for (size_t i = 0; i < expect.size(); ++i)
          expect[i] += c.residual[i];
        std::vector<float> back(w.size());
        ASSERT_TRUE(decodeTwinQuant(packed.data(), 96, 512, p, back.data()).ok());
        for (size_t i = 0; i < back.size(); ++i)
          ASSERT_NEAR(back[i], expect[i], 1e-6) << describeTwinQuant(p) << " at " << i;
      }
}

/// u [rows x r] whose rows each hold one spike (8x the rest) in a column of
/// their own: every 32-block of a column of u is ruled by a few spikes,
/// which a rotation of the r columns spreads over the whole row.
std::vector<float> spikyColumns(int64_t rows, int64_t r) {
  std::vector<float> u = gaussian(rows * r, 21, 0.01f);
  for (int64_t i = 0; i < rows; ++i)
    u[size_t(i * r + (i * 7) % r)] *= 8.0f;
  return u;
}

TEST(TwinTransform, LearnedRotationIsOrthogonalAndLowersTheCodingError) {
  const int64_t rows = 256, cols = 512, r = 16;
  std::vector<float> u = spikyColumns(rows, r), v = gaussian(r * cols, 22, 0.01f);
  auto q4 = createCodec(FormatKind::Q4);
  detail::FactorRotation q = detail::learnFactorRotation(u, v, rows, cols, r, *q4);
  EXPECT_LT(orthogonalityError(q.q.data(), r), 1e-9);
  EXPECT_GT(q.accepted, 0);
  // The spikes ruled U's blocks: spread, its error drops by a fifth or more.
  EXPECT_LT(q.learnedLoss, 0.8 * q.startLoss) << q.startLoss;
  // The folded factors keep the product (up to rounding) and code better.
  std::vector<float> ru = u, rv = v;
  detail::rotateFactors(ru, rv, rows, cols, r, q.q);
  std::vector<double> before = product(u, v, rows, cols, r),
                      after = product(ru, rv, rows, cols, r);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    diff += (after[i] - before[i]) * (after[i] - before[i]);
    norm += before[i] * before[i];
  }
  EXPECT_LT(std::sqrt(diff / norm), 1e-5);
  auto codingError = [&](const std::vector<float> &x, int64_t n, int64_t k) {
    std::vector<uint8_t> bytes(size_t(q4->matrixBytes(n, k)));
    EXPECT_TRUE(q4->encodeRows(x.data(), n, k, bytes.data()).ok());
    std::vector<float> back(x.size());
    EXPECT_TRUE(q4->decodeRows(bytes.data(), n, k, back.data()).ok());
    return relativeError(x, back);
  };
  auto columnsOf = [&](const std::vector<float> &m) { // u^T: columns as rows
    std::vector<float> t(m.size());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < r; ++j)
        t[size_t(j * rows + i)] = m[size_t(i * r + j)];
    return t;
  };
  EXPECT_LT(codingError(columnsOf(ru), r, rows),
            0.9 * codingError(columnsOf(u), r, rows));
}

TEST(TwinTransform, LearnedFactorsGiveAWholeTwinNoWorseThanNone) {
  const int64_t rows = 256, cols = 512;
  std::vector<float> w = noisyLowRank(rows, cols);
  TwinQuantParams p;
  p.rank = 16;
  p.factorBits = 4;
  double none = relativeError(w, roundTrip(w, rows, cols, p));
  p.transform = TwinTransform::Learned;
  EXPECT_EQ(describeTwinQuant(p), "twinquant r=16 f4 q4 learned");
  EXPECT_LE(relativeError(w, roundTrip(w, rows, cols, p)), none * 1.01);
}

TEST(TwinQuant, CalibratedResidualLowersTheOutputError) {
  // Correlated inputs: error feedback through H lowers tr(E H E^T) of the
  // whole twin well below the round-to-nearest residual's, both residuals.
  const int64_t rows = 64, cols = 512;
  std::vector<float> w = noisyLowRank(rows, cols);
  std::vector<float> h = test::correlatedSecondMoment(cols, 2048, 43);
  for (bool rotated : {false, true}) {
    TwinQuantParams p;
    p.rank = 8;
    p.factorBits = 4;
    p.rotateResidual = rotated;
    p.signSeed = rotated ? 5 : 0;
    std::vector<float> nearest = roundTrip(w, rows, cols, p);
    TwinEncodeOptions o;
    o.secondMoment = h.data();
    std::vector<uint8_t> packed;
    ASSERT_TRUE(encodeTwinQuant(w.data(), rows, cols, p, o, packed).ok());
    std::vector<float> calibrated(w.size());
    ASSERT_TRUE(decodeTwinQuant(packed.data(), rows, cols, p, calibrated.data()).ok());
    double before = outputError(w.data(), nearest.data(), rows, cols, h.data());
    double after = outputError(w.data(), calibrated.data(), rows, cols, h.data());
    EXPECT_LT(after, 0.2 * before) << "rotated " << rotated;
  }
}

TEST(TwinQuant, ResidualAbsorbsTheFactorsCodingError) {
  // An exact rank-8 weight: the 4-bit factors alone are off by ~10%, the
  // q4 residual of their error brings the total down by an order.
  std::vector<float> u = gaussian(128 * 8, 4, 0.1f), v = gaussian(8 * 256, 5, 0.1f);
  std::vector<double> p64 = product(u, v, 128, 256, 8);
  std::vector<float> w(p64.begin(), p64.end());
  TwinQuantParams p;
  p.rank = 8;
  p.factorBits = 4;
  std::vector<uint8_t> packed;
  ASSERT_TRUE(encodeTwinQuant(w.data(), 128, 256, p, {}, packed).ok());
  TwinComponents c;
  ASSERT_TRUE(decodeTwinComponents(packed.data(), 128, 256, p, c).ok());
  std::vector<double> lowRank = product(c.u, c.v, 128, 256, 8);
  double factorsOnly = relativeError(w, std::vector<float>(lowRank.begin(), lowRank.end()));
  double twin = relativeError(w, roundTrip(w, 128, 256, p));
  EXPECT_GT(factorsOnly, 0.03);
  EXPECT_LT(twin, 0.15 * factorsOnly) << factorsOnly;
}

TEST(TwinQuant, BeatsQ4WhereAFewDirectionsSetTheRange) {
  std::vector<float> w = noisyLowRank(256, 512);
  double q4 = q4Error(w, 256, 512);
  for (bool rotated : {false, true}) {
    TwinQuantParams p;
    p.rank = 8;
    p.rotateResidual = rotated;
    double twin = relativeError(w, roundTrip(w, 256, 512, p));
    EXPECT_LT(twin, 0.3 * q4) << "rotated " << rotated << ": q4 " << q4;
  }
}

TEST(TwinQuant, NoWorseThanQ4OnGaussianWeights) {
  std::vector<float> w = gaussian(256 * 512, 12);
  TwinQuantParams p;
  p.rank = 16;
  EXPECT_LE(relativeError(w, roundTrip(w, 256, 512, p)), q4Error(w, 256, 512));
}

TEST(TwinQuant, ImportanceSteersTheLowRankPartToImportantColumns) {
  // Columns 0..31 carry 100x the input energy; their error is what the
  // layer's output sees.
  const int64_t rows = 128, cols = 256;
  std::vector<float> w = gaussian(rows * cols, 21);
  std::vector<float> importance(size_t(cols), 1.0f);
  std::fill(importance.begin(), importance.begin() + 32, 100.0f);
  auto outputError = [&](const std::vector<float> &q) {
    double num = 0, den = 0;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double e = double(w[size_t(r * cols + c)]) - q[size_t(r * cols + c)];
        num += importance[size_t(c)] * e * e;
        den += importance[size_t(c)] * double(w[size_t(r * cols + c)]) * w[size_t(r * cols + c)];
      }
    return std::sqrt(num / den);
  };
  TwinQuantParams p;
  p.rank = 32;
  double plain = outputError(roundTrip(w, rows, cols, p));
  double weighted = outputError(roundTrip(w, rows, cols, p, importance.data()));
  EXPECT_LT(weighted, 0.9 * plain) << plain;
}

TEST(TwinQuant, EncodingIsDeterministicAcrossThreadCounts) {
  std::vector<float> w = noisyLowRank(64, 256);
  TwinQuantParams p;
  p.rank = 8;
  std::vector<uint8_t> one, two;
  TwinEncodeOptions o;
  o.threads = 1;
  ASSERT_TRUE(encodeTwinQuant(w.data(), 64, 256, p, o, one).ok());
  o.threads = 2;
  ASSERT_TRUE(encodeTwinQuant(w.data(), 64, 256, p, o, two).ok());
  EXPECT_EQ(one, two);
}

TEST(TwinQuant, BadParametersAndInputsGetClearErrors) {
  std::vector<float> w = gaussian(64 * 96, 1);
  auto message = [&](TwinQuantParams p, int64_t rows, int64_t cols,
                     const float *importance = nullptr) {
    std::vector<uint8_t> packed;
    TwinEncodeOptions o;
    o.importance = importance;
    Status s = encodeTwinQuant(w.data(), rows, cols, p, o, packed);
    EXPECT_FALSE(s.ok());
    return s.message();
  };
  TwinQuantParams p;
  p.rank = 65;
  EXPECT_NE(message(p, 64, 96).find("rank must be in [1, min(N, K)]"), std::string::npos);
  p.rank = 0;
  EXPECT_NE(message(p, 64, 96).find("rank"), std::string::npos);
  p.rank = 8;
  EXPECT_NE(message(p, 64, 90).find("multiples of 32"), std::string::npos);
  EXPECT_NE(message(p, 48, 64).find("multiples of 32"), std::string::npos);
  p.rotateResidual = true;
  EXPECT_NE(message(p, 64, 96).find("multiple of 256"), std::string::npos);
  p.rotateResidual = false;
  p.factorBits = 5;
  EXPECT_NE(message(p, 64, 96).find("factor bits"), std::string::npos);
  p.factorBits = 8;
  p.rank = 12;
  p.transform = TwinTransform::Hadamard;
  EXPECT_NE(message(p, 64, 96).find("power-of-two"), std::string::npos);
  p.transform = TwinTransform::None;
  std::vector<float> importance(96, 1.0f);
  importance[5] = -1;
  EXPECT_NE(message(p, 64, 96, importance.data()).find("column 5"), std::string::npos);
  w[96 + 7] = NAN;
  EXPECT_NE(message(p, 64, 96).find("row 1, column 7"), std::string::npos);
}
