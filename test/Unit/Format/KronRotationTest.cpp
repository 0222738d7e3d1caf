//===- KronRotationTest.cpp - Kronecker rotations, Cayley steps, KOTMS ----===//
//
// Against the dense Kronecker product built here entry by entry, and the
// identity the format relies on: y = W x = W' (R x).
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "itq3/Format/Kotms.h"
#include "itq3/Format/KronRotation.h"

#include <gtest/gtest.h>

using namespace itq3::format;
using namespace itq3::format::test;

namespace {

/// (C (x) B)[i][j] = C[i / r][j / r] * B[i % r][j % r].
std::vector<double> denseKron(const KronRotation &rot) {
  int64_t k = rot.size(), r = rot.r, l = rot.l;
  std::vector<double> d(static_cast<size_t>(k * k));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      d[size_t(i * k + j)] = double(rot.c[size_t((i / r) * l + j / r)]) *
                             rot.b[size_t((i % r) * r + j % r)];
  return d;
}

} // namespace

TEST(KronRotation, FactorsOfTheModelWidths) {
  struct Case {
    int64_t k, l, r;
  } cases[] = {{576, 32, 18}, {1536, 48, 32}, {8960, 128, 70}, {64, 8, 8},
               {13, 13, 1}};
  for (const Case &c : cases) {
    int64_t l, r;
    kronFactors(c.k, l, r);
    EXPECT_EQ(l, c.l) << c.k;
    EXPECT_EQ(r, c.r) << c.k;
  }
}

TEST(KronRotation, FixedFactorsAreOrthogonalAndHadamardWherePossible) {
  for (int64_t k : {576, 1536, 8960}) {
    KronRotation rot = fixedKronRotation(k, 3);
    EXPECT_EQ(rot.size(), k);
    EXPECT_LT(orthogonalityError(rot.c, rot.l), 1e-6) << k;
    EXPECT_LT(orthogonalityError(rot.b, rot.r), 1e-6) << k;
  }
  KronRotation rot = fixedKronRotation(1536, 3); // C 48 random, B 32 Hadamard
  std::vector<double> h = hadamardMatrix(32);
  for (size_t i = 0; i < h.size(); ++i)
    ASSERT_EQ(rot.b[i], float(h[i]));
  // A random factor is not a permutation or a sign matrix: its entries spread.
  int large = 0;
  for (float v : rot.c)
    large += std::fabs(v) > 0.5f;
  EXPECT_LT(large, 4);
  // Seeds give different random factors.
  EXPECT_NE(fixedKronRotation(1536, 4).c, rot.c);
}

TEST(KronRotation, RotateIsTheDenseKroneckerProductAndUnrotateItsTranspose) {
  KronRotation rot;
  rot.l = 6;
  rot.r = 4;
  std::vector<double> c = randomOrthogonal(6, 1), b = hadamardMatrix(4);
  rot.c.assign(c.begin(), c.end());
  rot.b.assign(b.begin(), b.end());
  std::vector<double> d = denseKron(rot);
  std::vector<float> x = gaussian(24, 2, 1.0f), y(24), back(24);
  kronRotate(rot, x.data(), y.data());
  for (int64_t i = 0; i < 24; ++i) {
    double ref = 0, refT = 0;
    for (int64_t j = 0; j < 24; ++j) {
      ref += d[size_t(i * 24 + j)] * x[size_t(j)];
      refT += d[size_t(j * 24 + i)] * x[size_t(j)];
    }
    EXPECT_NEAR(y[size_t(i)], ref, 1e-5) << i;
    kronUnrotate(rot, x.data(), back.data());
    EXPECT_NEAR(back[size_t(i)], refT, 1e-5) << i;
  }
  kronUnrotate(rot, y.data(), back.data());
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_NEAR(back[size_t(i)], x[size_t(i)], 1e-5);
}

TEST(KronRotation, WeightAndActivationRotationsCancel) {
  const int64_t n = 40, k = 576;
  KronRotation rot = fixedKronRotation(k, 9);
  std::vector<float> w = gaussian(n * k, 3), x = gaussian(k, 4, 1.0f);
  std::vector<float> wr(w.size()), xr(static_cast<size_t>(k));
  kronRotateRows(rot, w.data(), n, wr.data(), false, 2); // W' = W R^T
  kronRotate(rot, x.data(), xr.data());                  // R x
  for (int64_t i = 0; i < n; ++i) {
    double y = 0, yr = 0, scale = 0;
    for (int64_t j = 0; j < k; ++j) {
      y += double(w[size_t(i * k + j)]) * x[size_t(j)];
      yr += double(wr[size_t(i * k + j)]) * xr[size_t(j)];
      scale += std::fabs(w[size_t(i * k + j)] * x[size_t(j)]);
    }
    EXPECT_NEAR(yr, y, 1e-5 * scale) << i;
  }
  std::vector<float> back(w.size());
  kronRotateRows(rot, wr.data(), n, back.data(), true, 1);
  EXPECT_LT(relativeError(w, back), 1e-6);
}

TEST(KronRotation, GramRotationIsRHRt) {
  KronRotation rot;
  rot.l = 4;
  rot.r = 3;
  std::vector<double> c = randomOrthogonal(4, 5), b = randomOrthogonal(3, 6);
  rot.c.assign(c.begin(), c.end());
  rot.b.assign(b.begin(), b.end());
  std::vector<float> x = gaussian(12 * 12, 7, 1.0f), h(144, 0.0f);
  for (int s = 0; s < 12; ++s)
    for (int i = 0; i < 12; ++i)
      for (int j = 0; j < 12; ++j)
        h[size_t(i * 12 + j)] += x[size_t(s * 12 + i)] * x[size_t(s * 12 + j)];
  std::vector<float> hr = kronRotateGram(rot, h);
  std::vector<double> d = denseKron(rot);
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 12; ++j) {
      double ref = 0;
      for (int a = 0; a < 12; ++a)
        for (int bb = 0; bb < 12; ++bb)
          ref += d[size_t(i * 12 + a)] * h[size_t(a * 12 + bb)] * d[size_t(j * 12 + bb)];
      EXPECT_NEAR(hr[size_t(i * 12 + j)], ref, 1e-4) << i << " " << j;
    }
}

TEST(Cayley, StepStaysOrthogonalAndDescends) {
  const int64_t n = 18;
  std::vector<double> q = randomOrthogonal(n, 11);
  std::vector<double> target = randomOrthogonal(n, 12);
  // Loss ||Q - T||^2 has the Euclidean gradient 2 (Q - T).
  auto loss = [&](const std::vector<double> &m) {
    double s = 0;
    for (size_t i = 0; i < m.size(); ++i)
      s += (m[i] - target[i]) * (m[i] - target[i]);
    return s;
  };
  std::vector<double> grad(q.size());
  for (size_t i = 0; i < q.size(); ++i)
    grad[i] = 2 * (q[i] - target[i]);
  for (double tau : {1e-3, 0.1, 1.0, 50.0}) {
    std::vector<double> next = cayleyStep(q, grad, n, tau);
    EXPECT_LT(orthogonalityError(next.data(), n), 1e-10) << tau;
  }
  EXPECT_LT(loss(cayleyStep(q, grad, n, 1e-3)), loss(q));
  // A zero gradient leaves Q where it is.
  std::vector<double> zero(q.size(), 0.0), same = cayleyStep(q, zero, n, 1.0);
  for (size_t i = 0; i < q.size(); ++i)
    EXPECT_NEAR(same[i], q[i], 1e-14);
}

TEST(Kotms, LearnedRotationFitsBetterAndStaysOrthogonal) {
  // Rows that are exactly ternary in an unknown rotated basis R0: W = T R0
  // (row w = R0^T t), so that the rotation R0 makes them tri-modal.
  const int64_t rows = 96, k = 144;
  KronRotation truth; // random in both factors: the start is not it
  truth.l = 16;
  truth.r = 9;
  std::vector<double> c = randomOrthogonal(16, 40), b = randomOrthogonal(9, 41);
  truth.c.assign(c.begin(), c.end());
  truth.b.assign(b.begin(), b.end());
  std::vector<float> t(static_cast<size_t>(rows * k)), w(t.size());
  std::vector<float> noise = gaussian(rows * k, 41, 1.0f);
  for (size_t i = 0; i < t.size(); ++i)
    t[i] = 0.02f * float(noise[i] > 0.6f) - 0.02f * float(noise[i] < -0.6f);
  kronRotateRows(truth, t.data(), rows, w.data(), true, 1);
  TwlaParams p;
  p.group = 48;
  KronRotation start = fixedKronRotation(k, 1); // 16 x 9: H16 (x) random
  ASSERT_EQ(start.l, 16);
  KotmsResult r = learnKronRotation(w.data(), rows, start, p);
  EXPECT_GT(r.accepted, 0);
  EXPECT_LT(r.learnedLoss, 0.9 * r.startLoss);
  EXPECT_LT(ternaryFitLoss(r.rotation, w.data(), rows, p),
            ternaryFitLoss(start, w.data(), rows, p));
  EXPECT_LT(orthogonalityError(r.rotation.b, r.rotation.r), 1e-5);
  EXPECT_LT(orthogonalityError(r.rotation.c, r.rotation.l), 1e-5);
  // The loss function itself: zero at the true rotation.
  EXPECT_LT(ternaryFitLoss(truth, w.data(), rows, p), 1e-8);
}
