//===- TwlaTest.cpp - TWLA's ternary fit, its codec and its H re-solve ----===//
//
// Against plain references written here from the formulas of Twla.h: the
// closed-form start, the least-squares conditions of the scales, a dense
// normal-equation solve of the weighted re-fit, and a decoder of the
// documented layout.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "itq3/Format/Codec.h"
#include "itq3/Format/Half.h"
#include "itq3/Format/Twla.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace itq3::format;
using namespace itq3::format::test;

namespace {

/// Sum of squared errors of mu + alpha t against w.
double groupError(const float *w, const int8_t *t, int64_t n, TernaryScale s) {
  double e = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = w[i] - (s.mu + s.alpha * t[i]);
    e += d * d;
  }
  return e;
}

/// Decodes row r of a fit from its trits and scales.
std::vector<float> decodeScales(const std::vector<int8_t> &t,
                                const std::vector<TernaryScale> &s, int64_t g) {
  std::vector<float> out(t.size());
  for (size_t i = 0; i < t.size(); ++i)
    out[i] = float(s[i / size_t(g)].mu + s[i / size_t(g)].alpha * t[i]);
  return out;
}

/// A symmetric positive definite K x K second moment with correlated
/// columns and uneven scales, as real activations have.
std::vector<float> correlatedGram(int64_t k, uint64_t seed) {
  int64_t samples = 4 * k;
  std::vector<float> x = gaussian(samples * k, seed, 1.0f);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t j = 1; j < k; ++j) // neighbours correlate; scales vary
      x[size_t(s * k + j)] = 0.6f * x[size_t(s * k + j - 1)] +
                             x[size_t(s * k + j)] * (1.0f + float(j % 7));
  std::vector<float> h(size_t(k * k), 0.0f);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        h[size_t(i * k + j)] += x[size_t(s * k + i)] * x[size_t(s * k + j)] / float(samples);
  dampenGram(h, k, 0.01);
  return h;
}

/// Minimizes (w - B theta)^T H (w - B theta) by forming B explicitly
/// (K x 2m: column g is the indicator of group g, column m + g is t there)
/// and solving B^T H B theta = B^T H w by Gaussian elimination in double.
std::vector<TernaryScale> denseReference(const std::vector<float> &w,
                                         const std::vector<int8_t> &t,
                                         const std::vector<float> &h,
                                         int64_t g, bool blockOnly) {
  int64_t k = int64_t(w.size()), m = k / g, n = 2 * m;
  std::vector<double> b(size_t(k * n), 0.0);
  for (int64_t i = 0; i < k; ++i) {
    b[size_t(i * n + i / g)] = 1;
    b[size_t(i * n + m + i / g)] = t[size_t(i)];
  }
  auto hAt = [&](int64_t i, int64_t j) {
    return blockOnly && i / g != j / g ? 0.0 : double(h[size_t(i * k + j)]);
  };
  std::vector<double> a(size_t(n * (n + 1)), 0.0); // augmented [A | rhs]
  for (int64_t p = 0; p < n; ++p)
    for (int64_t i = 0; i < k; ++i) {
      if (b[size_t(i * n + p)] == 0)
        continue;
      for (int64_t j = 0; j < k; ++j) {
        double hij = hAt(i, j) * b[size_t(i * n + p)];
        for (int64_t q = 0; q < n; ++q)
          a[size_t(p * (n + 1) + q)] += hij * b[size_t(j * n + q)];
        a[size_t(p * (n + 1) + n)] += hij * w[size_t(j)];
      }
    }
  for (int64_t c = 0; c < n; ++c) {
    int64_t piv = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::fabs(a[size_t(r * (n + 1) + c)]) > std::fabs(a[size_t(piv * (n + 1) + c)]))
        piv = r;
    for (int64_t q = 0; q <= n; ++q)
      std::swap(a[size_t(c * (n + 1) + q)], a[size_t(piv * (n + 1) + q)]);
    for (int64_t r = 0; r < n; ++r) {
      if (r == c)
        continue;
      double f = a[size_t(r * (n + 1) + c)] / a[size_t(c * (n + 1) + c)];
      for (int64_t q = c; q <= n; ++q)
        a[size_t(r * (n + 1) + q)] -= f * a[size_t(c * (n + 1) + q)];
    }
  }
  std::vector<TernaryScale> s(static_cast<size_t>(m));
  for (int64_t gg = 0; gg < m; ++gg)
    s[size_t(gg)] = {a[size_t(gg * (n + 1) + n)] / a[size_t(gg * (n + 1) + gg)],
                     a[size_t((m + gg) * (n + 1) + n)] /
                         a[size_t((m + gg) * (n + 1) + m + gg)]};
  return s;
}

/// The weight-only fit of one row: trits and scales per group.
void fitRow(const std::vector<float> &w, int64_t g, std::vector<int8_t> &t,
            std::vector<TernaryScale> &s) {
  int64_t k = int64_t(w.size());
  t.assign(size_t(k), 0);
  s.assign(size_t(k / g), {});
  for (int64_t gg = 0; gg < k / g; ++gg)
    s[size_t(gg)] = fitTernaryGroup(w.data() + gg * g, g, t.data() + gg * g);
}

/// Every group's (mu, alpha) within 1e-4 of |alpha| of the dense solve's.
void expectScalesNear(const std::vector<TernaryScale> &s,
                      const std::vector<TernaryScale> &ref) {
  ASSERT_EQ(s.size(), ref.size());
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_NEAR(s[i].mu, ref[i].mu, 1e-4 * std::fabs(ref[i].alpha)) << i;
    EXPECT_NEAR(s[i].alpha, ref[i].alpha, 1e-4 * std::fabs(ref[i].alpha)) << i;
  }
}

} // namespace

TEST(TwlaFit, StartIsTheClosedFormOfTheMethod) {
  std::vector<float> w = gaussian(64, 3);
  for (float &v : w)
    v += 0.01f; // an offset, so that mu matters
  TwlaParams p;
  p.iterations = 0;
  std::vector<int8_t> t(64);
  TernaryScale s = fitTernaryGroup(w.data(), 64, t.data(), p);
  double mu = 0, dev = 0;
  for (float v : w)
    mu += v / 64.0;
  for (float v : w)
    dev += std::fabs(v - mu) / 64.0;
  double num = 0, cnt = 0;
  for (int i = 0; i < 64; ++i) {
    int expect = std::fabs(w[size_t(i)] - mu) > 0.75 * dev ? (w[size_t(i)] > mu ? 1 : -1) : 0;
    ASSERT_EQ(t[size_t(i)], expect) << i;
    num += expect * (w[size_t(i)] - mu);
    cnt += std::abs(expect);
  }
  EXPECT_NEAR(s.mu, mu, 1e-9);
  EXPECT_NEAR(s.alpha, num / cnt, 1e-9);
}

TEST(TwlaFit, ScalesAreLeastSquaresForTheirTrits) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::vector<float> w = gaussian(64, seed);
    for (size_t i = 0; i < w.size(); ++i)
      w[i] += 0.004f * float(seed % 5) + (i % 9 == 0 ? 0.05f : 0.0f);
    std::vector<int8_t> t(64);
    TernaryScale s = fitTernaryGroup(w.data(), 64, t.data());
    // Both normal equations: the residual is orthogonal to 1 and to t.
    double r1 = 0, rt = 0, scale = 0;
    for (int i = 0; i < 64; ++i) {
      double r = w[size_t(i)] - (s.mu + s.alpha * t[size_t(i)]);
      r1 += r;
      rt += r * t[size_t(i)];
      scale += std::fabs(w[size_t(i)]);
    }
    EXPECT_LT(std::fabs(r1), 1e-6 * scale) << seed;
    EXPECT_LT(std::fabs(rt), 1e-6 * scale) << seed;
    // And the trits are the nearest levels for those scales (converged).
    for (int i = 0; i < 64; ++i) {
      double e = std::fabs(w[size_t(i)] - (s.mu + s.alpha * t[size_t(i)]));
      for (int v = -1; v <= 1; ++v)
        EXPECT_LE(e, std::fabs(w[size_t(i)] - (s.mu + s.alpha * v)) + 1e-9)
            << seed << " " << i;
    }
  }
}

TEST(TwlaFit, IterationsLowerTheErrorAndRecoverExactTernaryData) {
  std::vector<float> w = gaussian(128, 11);
  std::vector<int8_t> t0(128), t(128);
  TwlaParams start;
  start.iterations = 0;
  TernaryScale s0 = fitTernaryGroup(w.data(), 128, t0.data(), start);
  TernaryScale s = fitTernaryGroup(w.data(), 128, t.data());
  EXPECT_LT(groupError(w.data(), t.data(), 128, s),
            groupError(w.data(), t0.data(), 128, s0));
  // mu + alpha t exactly: the fit must find it back.
  std::vector<float> exact(128);
  for (int i = 0; i < 128; ++i)
    exact[size_t(i)] = 0.003f + 0.02f * float(i % 3 - 1);
  TernaryScale e = fitTernaryGroup(exact.data(), 128, t.data());
  EXPECT_NEAR(e.mu, 0.003, 1e-7);
  EXPECT_NEAR(e.alpha, 0.02, 1e-7);
  EXPECT_LT(groupError(exact.data(), t.data(), 128, e), 1e-12);
}

TEST(TwlaFit, DegenerateGroupsDecodeToTheirMean) {
  std::vector<float> flat(64, 0.25f);
  std::vector<int8_t> t(64);
  TernaryScale s = fitTernaryGroup(flat.data(), 64, t.data());
  EXPECT_NEAR(s.mu + s.alpha * t[0], 0.25, 1e-7);
  std::vector<float> zero(64, 0.0f);
  s = fitTernaryGroup(zero.data(), 64, t.data());
  EXPECT_EQ(s.mu, 0);
  EXPECT_EQ(s.alpha, 0);
}

TEST(TwlaResolve, FullCouplingIsTheDenseWeightedLeastSquares) {
  const int64_t k = 192, g = 64;
  std::vector<float> h = correlatedGram(k, 5);
  std::vector<float> w = gaussian(k, 8);
  std::vector<int8_t> t;
  std::vector<TernaryScale> s;
  fitRow(w, g, t, s);
  std::vector<TernaryScale> weightOnly = s;
  TwlaParams p;
  p.group = g;
  resolveScalesUnderH(w.data(), t.data(), k, h.data(), p, s.data());
  std::vector<TernaryScale> ref = denseReference(w, t, h, g, false);
  expectScalesNear(s, ref);
  // It lowers the output error, below the block-diagonal solution too.
  std::vector<TernaryScale> block = weightOnly;
  p.coupling = TwlaCoupling::Block;
  resolveScalesUnderH(w.data(), t.data(), k, h.data(), p, block.data());
  double full = weightedError(w.data(), decodeScales(t, s, g).data(), k, h.data());
  double blk = weightedError(w.data(), decodeScales(t, block, g).data(), k, h.data());
  double plain = weightedError(w.data(), decodeScales(t, weightOnly, g).data(), k, h.data());
  EXPECT_LT(full, blk);
  EXPECT_LT(blk, plain);
}

TEST(TwlaResolve, BlockCouplingIsTheDenseBlockDiagonalSolve) {
  const int64_t k = 128, g = 64;
  std::vector<float> h = correlatedGram(k, 6);
  std::vector<float> w = gaussian(k, 9);
  std::vector<int8_t> t;
  std::vector<TernaryScale> s;
  fitRow(w, g, t, s);
  TwlaParams p;
  p.group = g;
  p.coupling = TwlaCoupling::Block;
  resolveScalesUnderH(w.data(), t.data(), k, h.data(), p, s.data());
  std::vector<TernaryScale> ref = denseReference(w, t, h, g, true);
  expectScalesNear(s, ref);
}

TEST(TwlaCodec, BytesAndDecodeFollowTheLayout) {
  EXPECT_EQ(twlaGroupBytes(64), 17);
  EXPECT_EQ(twlaGroupBytes(128), 30);
  EXPECT_DOUBLE_EQ(8.0 * double(twlaMatrixBytes(576, 1536, 64)) / (576.0 * 1536),
                   2.125);
  const int64_t rows = 3, cols = 192, g = 64;
  std::vector<float> w = gaussian(rows * cols, 21);
  std::vector<uint8_t> packed;
  TwlaParams p;
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, p, nullptr, 1, packed).ok());
  ASSERT_EQ(int64_t(packed.size()), rows * 3 * 17);
  std::vector<float> out(w.size());
  ASSERT_TRUE(decodeTwla(packed.data(), rows, cols, g, out.data()).ok());
  for (int64_t grp = 0; grp < rows * cols / g; ++grp) {
    std::vector<int8_t> t(static_cast<size_t>(g));
    TernaryScale s = fitTernaryGroup(w.data() + grp * g, g, t.data());
    const uint8_t *src = packed.data() + grp * 17;
    float d = halfToFloat(uint16_t(src[0] | src[1] << 8));
    int cMu = int8_t(src[2]), cAlpha = int8_t(src[3]);
    // d is the fp16 of (|mu| + |alpha|) / 127 and the codes round mu / d,
    // alpha / d within the code budget.
    EXPECT_EQ(d, roundToHalf(float((std::fabs(s.mu) + std::fabs(s.alpha)) / 127)));
    EXPECT_LE(std::abs(cMu) + std::abs(cAlpha), 127);
    EXPECT_LE(std::fabs(d * cMu - s.mu), 0.51 * d + 1e-7) << grp;
    EXPECT_LE(std::fabs(d * cAlpha - s.alpha), 0.51 * d + 1e-7) << grp;
    for (int64_t j = 0; j < g; ++j) {
      // Trit j: digit j % 5 (most significant first) of byte j / 5.
      uint8_t q = src[4 + j / 5];
      int value = 0;
      for (int v = 0; v < 243; ++v)
        if ((256 * v + 242) / 243 == q)
          value = v;
      for (int k = 4; k > j % 5; --k)
        value /= 3;
      ASSERT_EQ(value % 3 - 1, t[size_t(j)]) << grp << " " << j;
      EXPECT_EQ(out[size_t(grp * g + j)], d * float(cMu + cAlpha * t[size_t(j)]));
    }
  }
  EXPECT_LT(relativeError(w, out), 0.45); // a ternary fit of Gaussians
}

TEST(TwlaCodec, CalibratedEncodeLowersTheOutputError) {
  const int64_t rows = 4, cols = 128;
  std::vector<float> h = correlatedGram(cols, 2);
  std::vector<float> w = gaussian(rows * cols, 4);
  TwlaParams p;
  std::vector<uint8_t> plain, weighted;
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, p, nullptr, 1, plain).ok());
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, p, h.data(), 2, weighted).ok());
  std::vector<float> a(w.size()), b(w.size());
  ASSERT_TRUE(decodeTwla(plain.data(), rows, cols, 64, a.data()).ok());
  ASSERT_TRUE(decodeTwla(weighted.data(), rows, cols, 64, b.data()).ok());
  for (int64_t r = 0; r < rows; ++r)
    EXPECT_LT(weightedError(w.data() + r * cols, b.data() + r * cols, cols, h.data()),
              weightedError(w.data() + r * cols, a.data() + r * cols, cols, h.data()))
        << r;
}

TEST(TwlaCodec, RefusesGroupsThatDoNotDivideK) {
  std::vector<float> w(576, 0.1f);
  std::vector<uint8_t> packed;
  TwlaParams p;
  p.group = 128;
  Status s = encodeTwla(w.data(), 1, 576, p, nullptr, 1, packed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("576"), std::string::npos);
}

TEST(TwlaCodec, ErrorFeedbackLowersTheOutputError) {
  const int64_t rows = 8, cols = 192;
  std::vector<float> h = correlatedGram(cols, 12);
  std::vector<float> w = gaussian(rows * cols, 13);
  TwlaParams with, without;
  without.feedback = false;
  std::vector<uint8_t> a, b;
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, without, h.data(), 1, a).ok());
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, with, h.data(), 2, b).ok());
  std::vector<float> da(w.size()), db(w.size());
  ASSERT_TRUE(decodeTwla(a.data(), rows, cols, 64, da.data()).ok());
  ASSERT_TRUE(decodeTwla(b.data(), rows, cols, 64, db.data()).ok());
  double ea = 0, eb = 0;
  for (int64_t r = 0; r < rows; ++r) {
    ea += weightedError(w.data() + r * cols, da.data() + r * cols, cols, h.data());
    eb += weightedError(w.data() + r * cols, db.data() + r * cols, cols, h.data());
  }
  EXPECT_LT(eb, 0.9 * ea);
}

TEST(TwlaCodec, ErrorFeedbackChangesNothingUnderADiagonalH) {
  // A diagonal H couples no columns: there is no error to feed forward.
  const int64_t rows = 4, cols = 128;
  std::vector<float> h(size_t(cols * cols), 0.0f);
  for (int64_t i = 0; i < cols; ++i)
    h[size_t(i * cols + i)] = 1.0f + float(i % 5);
  std::vector<float> w = gaussian(rows * cols, 14);
  TwlaParams with, without;
  without.feedback = false;
  std::vector<uint8_t> a, b;
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, without, h.data(), 1, a).ok());
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, with, h.data(), 1, b).ok());
  EXPECT_EQ(a, b);
}

// The compiler's codec (weight-only, G = 64) and encodeTwla without
// statistics write the same bytes, and both decode alike.
TEST(TwlaCodec, TheCodecWritesWhatEncodeTwlaWrites) {
  const int64_t rows = 5, cols = 256;
  std::vector<float> w = gaussian(rows * cols, 33);
  std::vector<uint8_t> direct;
  ASSERT_TRUE(encodeTwla(w.data(), rows, cols, TwlaParams{}, nullptr, 1, direct).ok());
  auto codec = createCodec(FormatKind::TWLA);
  std::vector<uint8_t> viaCodec(size_t(codec->matrixBytes(rows, cols)));
  ASSERT_TRUE(codec->encodeRows(w.data(), rows, cols, viaCodec.data()).ok());
  EXPECT_EQ(viaCodec, direct);
  std::vector<float> a(w.size()), b(w.size());
  ASSERT_TRUE(codec->decodeRows(viaCodec.data(), rows, cols, a.data()).ok());
  ASSERT_TRUE(decodeTwla(direct.data(), rows, cols, 64, b.data()).ok());
  EXPECT_EQ(a, b);
}
