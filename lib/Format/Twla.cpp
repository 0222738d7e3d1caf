//===- Twla.cpp - TWLA: asymmetric ternary weights per group --------------===//

#include "itq3/Format/Twla.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/Half.h"
#include "itq3/Format/PtqtpLayout.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace itq3::format {

namespace {

constexpr int kScaleBytes = 4; // fp16 mu, fp16 alpha
constexpr int kTritsPerByte = ptqtp::kTritsPerByte;

int8_t nearestTrit(double centred, double alpha) {
  if (alpha == 0)
    return 0;
  double q = std::nearbyint(centred / alpha);
  return int8_t(std::clamp(q, -1.0, 1.0));
}

/// In-place lower Cholesky of the n x n SPD a (double); false if not SPD.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[size_t(j * n + j)];
    for (int64_t k = 0; k < j; ++k)
      d -= a[size_t(j * n + k)] * a[size_t(j * n + k)];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[size_t(j * n + j)] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[size_t(i * n + j)];
      for (int64_t k = 0; k < j; ++k)
        s -= a[size_t(i * n + k)] * a[size_t(j * n + k)];
      a[size_t(i * n + j)] = s / d;
    }
  }
  return true;
}

/// Solves L L^T x = b in place.
void choleskySolve(const std::vector<double> &l, int64_t n, std::vector<double> &b) {
  for (int64_t i = 0; i < n; ++i) {
    double s = b[size_t(i)];
    for (int64_t k = 0; k < i; ++k)
      s -= l[size_t(i * n + k)] * b[size_t(k)];
    b[size_t(i)] = s / l[size_t(i * n + i)];
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    double s = b[size_t(i)];
    for (int64_t k = i + 1; k < n; ++k)
      s -= l[size_t(k * n + i)] * b[size_t(k)];
    b[size_t(i)] = s / l[size_t(i * n + i)];
  }
}

/// The normal equations of step 2 for one row: m (mu, alpha) pairs, mu of
/// group g at index g, alpha at m + g. groupSums[i * m + h] = sum over the
/// columns j of group h of H[i][j] (row-independent, computed once).
struct NormalEquations {
  std::vector<double> a, b;
};

/// The full-coupling systems of `c` consecutive rows w [c x k] with trits
/// t [c x k]. The row-dependent products come from gemms: H w (H is
/// symmetric, so W H), and for each group h, Z_h = T[:, h] H[h, :], whose
/// column i is the coupling sum_{j in h} H[i][j] t_j of alpha_h with
/// weight i. That is c K^2 multiply-adds in the fast kernel instead of the
/// same count in scalar loops.
std::vector<NormalEquations> fullSystems(const float *w, const int8_t *t,
                                         int64_t c, int64_t k, int64_t g,
                                         const float *h, const float *groupSums) {
  int64_t m = k / g, n = 2 * m;
  std::vector<NormalEquations> eqs(static_cast<size_t>(c));
  for (NormalEquations &eq : eqs) {
    eq.a.assign(size_t(n * n), 0.0);
    eq.b.assign(size_t(n), 0.0);
  }
  std::vector<float> tf(static_cast<size_t>(c * k)), prod(tf.size(), 0.0f);
  for (size_t i = 0; i < tf.size(); ++i)
    tf[i] = float(t[i]);
  // mu-mu (row-independent) and alpha-mu blocks from the group sums of H.
  for (int64_t row = 0; row < c; ++row) {
    NormalEquations &eq = eqs[size_t(row)];
    const int8_t *tr = t + row * k;
    for (int64_t i = 0; i < k; ++i) {
      int64_t gg = i / g;
      for (int64_t gh = 0; gh < m; ++gh) {
        double u = groupSums[i * m + gh];
        eq.a[size_t(gg * n + gh)] += u;
        eq.a[size_t((m + gg) * n + gh)] += tr[i] * u;
      }
    }
  }
  // Right-hand sides from W H.
  gemmAccumulate(c, k, k, 1.0f, w, k, h, k, prod.data(), k);
  for (int64_t row = 0; row < c; ++row)
    for (int64_t i = 0; i < k; ++i) {
      double hw = prod[size_t(row * k + i)];
      eqs[size_t(row)].b[size_t(i / g)] += hw;
      eqs[size_t(row)].b[size_t(m + i / g)] += t[row * k + i] * hw;
    }
  // mu-alpha and alpha-alpha blocks, one group h at a time.
  for (int64_t gh = 0; gh < m; ++gh) {
    std::fill(prod.begin(), prod.end(), 0.0f);
    gemmAccumulate(c, k, g, 1.0f, tf.data() + gh * g, k, h + gh * g * k, k,
                   prod.data(), k);
    for (int64_t row = 0; row < c; ++row) {
      NormalEquations &eq = eqs[size_t(row)];
      const float *z = prod.data() + row * k;
      const int8_t *tr = t + row * k;
      for (int64_t gg = 0; gg < m; ++gg) {
        double uz = 0, tz = 0;
        for (int64_t i = gg * g; i < (gg + 1) * g; ++i) {
          uz += z[i];
          tz += tr[i] * double(z[i]);
        }
        eq.a[size_t(gg * n + m + gh)] = uz;
        eq.a[size_t((m + gg) * n + m + gh)] = tz;
      }
    }
  }
  return eqs;
}

NormalEquations blockSystem(const float *w, const int8_t *t, int64_t k,
                            int64_t g, const float *h) {
  int64_t m = k / g, n = 2 * m;
  NormalEquations eq{std::vector<double>(size_t(n * n), 0.0),
                     std::vector<double>(size_t(n), 0.0)};
  for (int64_t gg = 0; gg < m; ++gg) {
    double uu = 0, tu = 0, tt = 0, bu = 0, bt = 0;
    for (int64_t i = gg * g; i < (gg + 1) * g; ++i) {
      const float *hi = h + i * k;
      double u = 0, z = 0, hw = 0;
      for (int64_t j = gg * g; j < (gg + 1) * g; ++j) {
        u += hi[j];
        z += double(hi[j]) * t[j];
        hw += double(hi[j]) * w[j];
      }
      uu += u;
      tu += t[i] * u;
      tt += t[i] * z;
      bu += hw;
      bt += t[i] * hw;
    }
    eq.a[size_t(gg * n + gg)] = uu;
    eq.a[size_t((m + gg) * n + gg)] = tu;
    eq.a[size_t(gg * n + m + gg)] = tu;
    eq.a[size_t((m + gg) * n + m + gg)] = tt;
    eq.b[size_t(gg)] = bu;
    eq.b[size_t(m + gg)] = bt;
  }
  return eq;
}

/// Solves eq for the scales. A tiny ridge pulls toward the weight-only fit
/// (on entry in `scales`): it settles the directions H does not see (a
/// group whose trits are all +1 makes mu and alpha collinear) and moves
/// nothing else measurably. Keeps the entry scales if the system fails.
void solveScales(NormalEquations &eq, const int8_t *t, int64_t m, int64_t g,
                 TernaryScale *scales) {
  int64_t n = 2 * m;
  double diag = 0;
  for (int64_t i = 0; i < n; ++i)
    diag += eq.a[size_t(i * n + i)];
  double ridge = 1e-6 * diag / double(n);
  for (int64_t gg = 0; gg < m; ++gg) {
    bool any = false;
    for (int64_t j = 0; j < g; ++j)
      any = any || t[gg * g + j] != 0;
    if (!any) { // alpha_gg is free: pin it to 0
      for (int64_t i = 0; i < n; ++i)
        eq.a[size_t((m + gg) * n + i)] = eq.a[size_t(i * n + m + gg)] = 0;
      eq.a[size_t((m + gg) * n + m + gg)] = 1;
      eq.b[size_t(m + gg)] = 0;
      scales[gg].alpha = 0;
    }
  }
  for (int64_t gg = 0; gg < m; ++gg) {
    eq.a[size_t(gg * n + gg)] += ridge;
    eq.b[size_t(gg)] += ridge * scales[gg].mu;
    eq.a[size_t((m + gg) * n + m + gg)] += ridge;
    eq.b[size_t(m + gg)] += ridge * scales[gg].alpha;
  }
  if (!cholesky(eq.a, n))
    return;
  choleskySolve(eq.a, n, eq.b);
  for (int64_t gg = 0; gg < m; ++gg)
    scales[gg] = {eq.b[size_t(gg)], eq.b[size_t(m + gg)]};
}

/// groupSums[i * m + h] = sum_{j in group h} H[i][j].
std::vector<float> groupSumsOf(const float *h, int64_t k, int64_t g) {
  int64_t m = k / g;
  std::vector<float> s(size_t(k * m), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      s[size_t(i * m + j / g)] += h[i * k + j];
  return s;
}

/// Step 2 for `c` consecutive rows (scales: c x m).
void resolveRows(const float *w, const int8_t *t, int64_t c, int64_t k,
                 const float *h, const float *groupSums, const TwlaParams &p,
                 TernaryScale *scales) {
  int64_t m = k / p.group;
  if (p.coupling == TwlaCoupling::Full) {
    std::vector<NormalEquations> eqs =
        fullSystems(w, t, c, k, p.group, h, groupSums);
    for (int64_t row = 0; row < c; ++row)
      solveScales(eqs[size_t(row)], t + row * k, m, p.group, scales + row * m);
    return;
  }
  for (int64_t row = 0; row < c; ++row) {
    NormalEquations eq = blockSystem(w + row * k, t + row * k, k, p.group, h);
    solveScales(eq, t + row * k, m, p.group, scales + row * m);
  }
}

/// Bytes 0-3 of a stored group: fp16 d, then the int8 codes of mu and alpha
/// (|c_mu| + |c_alpha| <= 127), so that every weight decodes to d times the
/// int8 code c_mu + c_alpha t. d is the fp16 nearest (|mu| + |alpha|) / 127;
/// rounding the two codes moves mu and alpha by at most d / 2 each.
void storeScales(const TernaryScale &s, uint8_t *dst) {
  double magnitude = std::fabs(s.mu) + std::fabs(s.alpha);
  float d = roundToHalf(float(magnitude / kTwlaCodeMax));
  int cMu = 0, cAlpha = 0;
  if (d > 0) {
    cMu = int(std::lround(s.mu / d));
    cAlpha = int(std::lround(s.alpha / d));
    // fp16 rounding of d may leave the sum one or two past the limit.
    while (std::abs(cMu) + std::abs(cAlpha) > kTwlaCodeMax) {
      int &larger = std::abs(cMu) > std::abs(cAlpha) ? cMu : cAlpha;
      larger -= larger > 0 ? 1 : -1;
    }
  }
  storeHalf(dst, d);
  dst[2] = uint8_t(int8_t(cMu));
  dst[3] = uint8_t(int8_t(cAlpha));
}

void storeGroup(const TernaryScale &s, const int8_t *t, int64_t g, uint8_t *dst) {
  storeScales(s, dst);
  uint8_t *trits = dst + kScaleBytes;
  for (int64_t byte = 0; byte * kTritsPerByte < g; ++byte) {
    uint8_t u[kTritsPerByte] = {1, 1, 1, 1, 1}; // padding decodes to 0
    for (int d = 0; d < kTritsPerByte && byte * kTritsPerByte + d < g; ++d)
      u[d] = uint8_t(t[byte * kTritsPerByte + d] + 1);
    trits[byte] = ptqtp::packDigits(u);
  }
}

/// The LDLQ feedback of single columns: with H = U D U^T (U unit upper,
/// from the Cholesky factor of H with rows and columns reversed, as
/// Calibrated.cpp factorizes it), f[p][j] = U_pj for j > p: the share of
/// column p's error that column j takes.
Status feedbackFactor(const float *h, int64_t k, unsigned threads,
                      std::vector<float> &f) {
  std::vector<float> l(h, h + k * k);
  std::reverse(l.begin(), l.end());
  if (Status s = choleskyLower(l.data(), k, threads); !s)
    return s;
  auto a = [&](int64_t i, int64_t j) { return l[size_t((k - 1 - i) * k + (k - 1 - j))]; };
  f.assign(size_t(k * k), 0.0f);
  parallelRanges(k, threads, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t j = p + 1; j < k; ++j)
        f[size_t(p * k + j)] = a(p, j) / a(j, j);
  });
  return Status::success();
}

/// Step 1 of one row with error feedback (f from feedbackFactor).
void fitRowWithFeedback(const float *w, int64_t k, const std::vector<float> &f,
                        const TwlaParams &p, int8_t *t, TernaryScale *scales) {
  std::vector<float> x(w, w + k);
  for (int64_t g = 0; g < k / p.group; ++g) {
    int64_t c0 = g * p.group;
    TernaryScale s = fitTernaryGroup(x.data() + c0, p.group, t + c0, p);
    scales[g] = s;
    for (int64_t j = c0; j < c0 + p.group; ++j) {
      t[j] = nearestTrit(x[size_t(j)] - s.mu, s.alpha);
      float e = float(w[j] - (s.mu + s.alpha * t[j]));
      const float *frow = f.data() + j * k;
      for (int64_t c = j + 1; c < k; ++c)
        x[size_t(c)] += e * frow[c];
    }
  }
}

Status checkShape(int64_t rows, int64_t cols, int64_t group) {
  if (group < 1 || rows < 0 || cols <= 0 || cols % group) {
    std::ostringstream os;
    os << "twla: groups of " << group << " do not divide K = " << cols;
    return Status::error(os.str());
  }
  return Status::success();
}

} // namespace

TernaryScale solveTernaryScale(const float *w, const int8_t *t, int64_t n) {
  double s = 0, s2 = 0, bw = 0, btw = 0;
  for (int64_t i = 0; i < n; ++i) {
    s += t[i];
    s2 += t[i] * t[i];
    bw += w[i];
    btw += t[i] * double(w[i]);
  }
  double det = double(n) * s2 - s * s;
  // No nonzero trit, or all of one sign (t constant, collinear with 1):
  // the mean alone is the least-squares fit.
  if (s2 == 0 || det <= 1e-9 * double(n) * s2)
    return {bw / double(n), 0.0};
  return {(s2 * bw - s * btw) / det, (double(n) * btw - s * bw) / det};
}

TernaryScale fitTernaryGroup(const float *w, int64_t n, int8_t *t,
                             const TwlaParams &p) {
  double mu = 0, dev = 0;
  for (int64_t i = 0; i < n; ++i)
    mu += w[i];
  mu /= double(n);
  for (int64_t i = 0; i < n; ++i)
    dev += std::fabs(w[i] - mu);
  double delta = p.deltaRatio * dev / double(n);
  double num = 0, count = 0;
  for (int64_t i = 0; i < n; ++i) {
    double c = w[i] - mu;
    t[i] = std::fabs(c) > delta ? int8_t(c > 0 ? 1 : -1) : int8_t(0);
    num += t[i] * c;
    count += std::abs(t[i]);
  }
  TernaryScale s{mu, count > 0 ? num / count : 0.0};
  for (int it = 0; it < p.iterations; ++it) {
    if (it > 0) { // trits for the current scales; stop once they settle
      bool changed = false;
      for (int64_t i = 0; i < n; ++i) {
        int8_t v = nearestTrit(w[i] - s.mu, s.alpha);
        changed = changed || v != t[i];
        t[i] = v;
      }
      if (!changed)
        break;
    }
    s = solveTernaryScale(w, t, n);
  }
  return s;
}

void resolveScalesUnderH(const float *w, const int8_t *t, int64_t k,
                         const float *h, const TwlaParams &p,
                         TernaryScale *scales) {
  if (p.coupling == TwlaCoupling::None)
    return;
  std::vector<float> sums;
  if (p.coupling == TwlaCoupling::Full)
    sums = groupSumsOf(h, k, p.group);
  resolveRows(w, t, 1, k, h, sums.data(), p, scales);
}

double weightedError(const float *w, const float *decoded, int64_t k,
                     const float *h) {
  std::vector<double> e(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i)
    e[size_t(i)] = double(w[i]) - decoded[i];
  double sum = 0;
  for (int64_t i = 0; i < k; ++i) {
    double row = 0;
    for (int64_t j = 0; j < k; ++j)
      row += double(h[i * k + j]) * e[size_t(j)];
    sum += e[size_t(i)] * row;
  }
  return sum;
}

void decodeTwlaGroup(const uint8_t *src, int64_t group, float *dst) {
  float d = loadHalf(src);
  int cMu = int8_t(src[2]), cAlpha = int8_t(src[3]);
  for (int64_t j = 0; j < group; ++j) {
    int digit = ptqtp::unpackDigit(src[kScaleBytes + j / kTritsPerByte],
                                   int(j % kTritsPerByte));
    dst[j] = d * float(cMu + cAlpha * (digit - 1));
  }
}

void encodeTwlaGroup(const float *w, int64_t group, const TwlaParams &p,
                     uint8_t *dst) {
  std::vector<int8_t> t(static_cast<size_t>(group));
  storeGroup(fitTernaryGroup(w, group, t.data(), p), t.data(), group, dst);
}

int64_t twlaGroupBytes(int64_t group) {
  return kScaleBytes + (group + kTritsPerByte - 1) / kTritsPerByte;
}

int64_t twlaMatrixBytes(int64_t rows, int64_t cols, int64_t group) {
  return rows * (cols / group) * twlaGroupBytes(group);
}

void dampenGram(std::vector<float> &h, int64_t k, double dampening) {
  double mean = 0;
  for (int64_t i = 0; i < k; ++i)
    mean += h[size_t(i * k + i)];
  mean /= double(k);
  // A dead input (H = 0) still gets a positive definite H: the fit then
  // degrades to the unweighted one.
  double add = mean > 0 ? dampening * mean : 1.0;
  for (int64_t i = 0; i < k; ++i)
    h[size_t(i * k + i)] += float(add);
}

Status encodeTwla(const float *w, int64_t rows, int64_t cols,
                  const TwlaParams &p, const float *h, unsigned threads,
                  std::vector<uint8_t> &packed) {
  if (Status s = checkShape(rows, cols, p.group); !s)
    return s;
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(w[i]))
      return Status::error("twla: non-finite weight at row " +
                           std::to_string(i / cols));
  int64_t m = cols / p.group, gb = twlaGroupBytes(p.group);
  packed.assign(size_t(twlaMatrixBytes(rows, cols, p.group)), 0);
  bool weighted = h && p.coupling != TwlaCoupling::None;
  std::vector<float> sums;
  if (weighted && p.coupling == TwlaCoupling::Full)
    sums = groupSumsOf(h, cols, p.group);
  // Step 1 for every row, then step 2 in chunks of rows (its gemms want
  // several rows at once), then the bytes.
  std::vector<int8_t> t(static_cast<size_t>(rows * cols));
  std::vector<TernaryScale> scales(static_cast<size_t>(rows * m));
  std::vector<float> f;
  if (h && p.feedback) {
    if (Status s = feedbackFactor(h, cols, threads, f); !s)
      return Status::error("twla: " + s.message());
    parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        fitRowWithFeedback(w + r * cols, cols, f, p, t.data() + r * cols,
                           scales.data() + r * m);
    });
    f = std::vector<float>();
  } else {
    parallelRanges(rows * m, threads, [&](int64_t g0, int64_t g1) {
      for (int64_t g = g0; g < g1; ++g)
        scales[size_t(g)] = fitTernaryGroup(w + g * p.group, p.group,
                                            t.data() + g * p.group, p);
    });
  }
  constexpr int64_t kChunk = 32;
  if (weighted)
    parallelRanges((rows + kChunk - 1) / kChunk, threads, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        int64_t r0 = c * kChunk, r1 = std::min(rows, r0 + kChunk);
        resolveRows(w + r0 * cols, t.data() + r0 * cols, r1 - r0, cols, h,
                    sums.data(), p, scales.data() + r0 * m);
      }
    });
  bool overflow = false;
  for (int64_t g = 0; g < rows * m; ++g) {
    const TernaryScale &s = scales[size_t(g)];
    if (!(std::fabs(s.mu) + std::fabs(s.alpha) <= kHalfMax * kTwlaCodeMax))
      overflow = true;
    storeGroup(s, t.data() + g * p.group, p.group, packed.data() + g * gb);
  }
  if (overflow)
    return Status::error("twla: a group scale does not fit fp16");
  return Status::success();
}

Status decodeTwla(const uint8_t *packed, int64_t rows, int64_t cols,
                  int64_t group, float *dst, unsigned threads) {
  if (Status s = checkShape(rows, cols, group); !s)
    return s;
  int64_t m = cols / group, gb = twlaGroupBytes(group);
  parallelRanges(rows * m, threads, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      decodeTwlaGroup(packed + g * gb, group, dst + g * group);
  });
  return Status::success();
}

} // namespace itq3::format
