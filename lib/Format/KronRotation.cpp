//===- KronRotation.cpp - Orthogonal Kronecker rotations C (x) B ----------===//

#include "itq3/Format/KronRotation.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/Random.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace itq3::format {

namespace {

bool isPowerOfTwo(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

std::vector<float> toFloat(const std::vector<double> &v) {
  return std::vector<float>(v.begin(), v.end());
}

std::vector<double> fixedFactor(int64_t n, uint64_t seed) {
  return isPowerOfTwo(n) ? hadamardMatrix(n) : randomOrthogonal(n, seed);
}

/// Solves a x = b in place for an n x n a and n x m b (row-major), by
/// Gaussian elimination with partial pivoting; a is destroyed. The systems
/// here (I + tau/2 A, A skew) are never singular: their eigenvalues are
/// 1 + i tau lambda / 2.
void solveInPlace(std::vector<double> &a, std::vector<double> &b, int64_t n,
                  int64_t m) {
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    for (int64_t row = col + 1; row < n; ++row)
      if (std::fabs(a[size_t(row * n + col)]) > std::fabs(a[size_t(pivot * n + col)]))
        pivot = row;
    if (pivot != col) {
      for (int64_t j = 0; j < n; ++j)
        std::swap(a[size_t(col * n + j)], a[size_t(pivot * n + j)]);
      for (int64_t j = 0; j < m; ++j)
        std::swap(b[size_t(col * m + j)], b[size_t(pivot * m + j)]);
    }
    double inv = 1.0 / a[size_t(col * n + col)];
    for (int64_t row = col + 1; row < n; ++row) {
      double f = a[size_t(row * n + col)] * inv;
      if (f == 0)
        continue;
      for (int64_t j = col; j < n; ++j)
        a[size_t(row * n + j)] -= f * a[size_t(col * n + j)];
      for (int64_t j = 0; j < m; ++j)
        b[size_t(row * m + j)] -= f * b[size_t(col * m + j)];
    }
  }
  for (int64_t row = n - 1; row >= 0; --row) {
    double inv = 1.0 / a[size_t(row * n + row)];
    for (int64_t j = 0; j < m; ++j) {
      double s = b[size_t(row * m + j)];
      for (int64_t k = row + 1; k < n; ++k)
        s -= a[size_t(row * n + k)] * b[size_t(k * m + j)];
      b[size_t(row * m + j)] = s * inv;
    }
  }
}

} // namespace

void kronFactors(int64_t k, int64_t &l, int64_t &r) {
  int64_t bestL = k, bestR = 1;
  int bestPow = -1;
  double bestRatio = INFINITY;
  for (int64_t d = 1; d * d <= k; ++d) {
    if (k % d)
      continue;
    int64_t big = k / d;
    double ratio = double(big) / double(d);
    bool within = ratio <= 4.0;
    int pow2 = within ? int(isPowerOfTwo(d)) + int(isPowerOfTwo(big)) : -1;
    // Within the ratio: more Hadamard factors first, then squarer. Outside
    // it (no pair qualifies yet): the squarest pair, which d ascending gives.
    if (pow2 > bestPow || (pow2 == bestPow && ratio < bestRatio)) {
      bestPow = pow2;
      bestRatio = ratio;
      bestL = big;
      bestR = d;
    }
  }
  l = bestL;
  r = bestR;
}

std::vector<double> hadamardMatrix(int64_t n) {
  std::vector<double> h(static_cast<size_t>(n * n));
  double norm = 1.0 / std::sqrt(double(n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      h[size_t(i * n + j)] =
          (__builtin_popcountll(uint64_t(i & j)) & 1) ? -norm : norm;
  return h;
}

std::vector<double> randomOrthogonal(int64_t n, uint64_t seed) {
  RandomStream rng(seed);
  std::vector<double> q(static_cast<size_t>(n * n));
  for (double &v : q)
    v = rng.gaussian();
  // Modified Gram-Schmidt over the rows, twice ("twice is enough"): the
  // rows of a Gaussian matrix orthonormalized in order are Haar-distributed.
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t i = 0; i < n; ++i) {
      double *row = q.data() + i * n;
      for (int64_t j = 0; j < i; ++j) {
        const double *prev = q.data() + j * n;
        double dot = 0;
        for (int64_t c = 0; c < n; ++c)
          dot += row[c] * prev[c];
        for (int64_t c = 0; c < n; ++c)
          row[c] -= dot * prev[c];
      }
      double norm = 0;
      for (int64_t c = 0; c < n; ++c)
        norm += row[c] * row[c];
      norm = 1.0 / std::sqrt(norm);
      for (int64_t c = 0; c < n; ++c)
        row[c] *= norm;
    }
  return q;
}

KronRotation fixedKronRotation(int64_t k, uint64_t seed) {
  KronRotation rot;
  kronFactors(k, rot.l, rot.r);
  rot.c = toFloat(fixedFactor(rot.l, seed));
  rot.b = toFloat(fixedFactor(rot.r, seed + 1));
  return rot;
}

namespace {

/// y = C' X B'^T for x read as l x r, with (C', B') = (C, B) (the rotation)
/// or (C^T, B^T) (its inverse).
void kronApply(const KronRotation &rot, const float *x, float *y,
               bool transposed) {
  int64_t l = rot.l, r = rot.r;
  auto b = [&](int64_t j, int64_t k) {
    return rot.b[size_t(transposed ? k * r + j : j * r + k)];
  };
  auto c = [&](int64_t i, int64_t m) {
    return rot.c[size_t(transposed ? m * l + i : i * l + m)];
  };
  std::vector<float> t(static_cast<size_t>(l * r));
  // T = X B'^T.
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < r; ++j) {
      float s = 0;
      for (int64_t k = 0; k < r; ++k)
        s += x[i * r + k] * b(j, k);
      t[size_t(i * r + j)] = s;
    }
  // Y = C' T.
  std::fill(y, y + l * r, 0.0f);
  for (int64_t i = 0; i < l; ++i)
    for (int64_t m = 0; m < l; ++m) {
      float cim = c(i, m);
      for (int64_t j = 0; j < r; ++j)
        y[i * r + j] += cim * t[size_t(m * r + j)];
    }
}

} // namespace

void kronRotate(const KronRotation &rot, const float *x, float *y) {
  kronApply(rot, x, y, /*transposed=*/false);
}

void kronUnrotate(const KronRotation &rot, const float *x, float *y) {
  kronApply(rot, x, y, /*transposed=*/true);
}

void kronRotateRows(const KronRotation &rot, const float *in, int64_t rows,
                    float *out, bool inverse, unsigned threads) {
  int64_t k = rot.size();
  parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
    std::vector<float> tmp(static_cast<size_t>(k));
    for (int64_t row = r0; row < r1; ++row) {
      if (inverse)
        kronUnrotate(rot, in + row * k, tmp.data());
      else
        kronRotate(rot, in + row * k, tmp.data());
      std::copy(tmp.begin(), tmp.end(), out + row * k);
    }
  });
}

std::vector<float> kronRotateGram(const KronRotation &rot,
                                  const std::vector<float> &h,
                                  unsigned threads) {
  int64_t k = rot.size();
  std::vector<float> a(static_cast<size_t>(k * k)), t(static_cast<size_t>(k * k));
  kronRotateRows(rot, h.data(), k, a.data(), false, threads); // H R^T
  for (int64_t i = 0; i < k; ++i)                            // R H
    for (int64_t j = 0; j < k; ++j)
      t[size_t(j * k + i)] = a[size_t(i * k + j)];
  kronRotateRows(rot, t.data(), k, a.data(), false, threads); // (R H) R^T
  return a;
}

double orthogonalityError(const double *q, int64_t n) {
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < n; ++k)
        s += q[k * n + i] * q[k * n + j];
      worst = std::max(worst, std::fabs(s - (i == j ? 1.0 : 0.0)));
    }
  return worst;
}

double orthogonalityError(const std::vector<float> &q, int64_t n) {
  std::vector<double> d(q.begin(), q.end());
  return orthogonalityError(d.data(), n);
}

std::vector<double> skewGenerator(const std::vector<double> &q,
                                  const std::vector<double> &grad, int64_t n) {
  std::vector<double> a(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < n; ++k)
        s += grad[size_t(i * n + k)] * q[size_t(j * n + k)] -
             q[size_t(i * n + k)] * grad[size_t(j * n + k)];
      a[size_t(i * n + j)] = s;
    }
  return a;
}

double skewNorm(const std::vector<double> &q, const std::vector<double> &grad,
                int64_t n) {
  double sum = 0;
  for (double s : skewGenerator(q, grad, n))
    sum += s * s;
  return std::sqrt(sum);
}

std::vector<double> cayleyStep(const std::vector<double> &q,
                               const std::vector<double> &grad, int64_t n,
                               double tau) {
  std::vector<double> a = skewGenerator(q, grad, n);
  // lhs = I + tau/2 A; rhs = (I - tau/2 A) Q.
  std::vector<double> lhs(static_cast<size_t>(n * n)), rhs(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      lhs[size_t(i * n + j)] = (i == j ? 1.0 : 0.0) + 0.5 * tau * a[size_t(i * n + j)];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      double m = (i == k ? 1.0 : 0.0) - 0.5 * tau * a[size_t(i * n + k)];
      if (m == 0)
        continue;
      for (int64_t j = 0; j < n; ++j)
        rhs[size_t(i * n + j)] += m * q[size_t(k * n + j)];
    }
  solveInPlace(lhs, rhs, n, n);
  return rhs;
}

CayleyResult cayleyDescent(OrthogonalSet &qs, const std::vector<int64_t> &sizes,
                           const OrthogonalLoss &loss, const CayleySearch &s) {
  CayleyResult out;
  OrthogonalSet grads;
  out.loss = out.startLoss = loss(qs, grads);
  out.evaluations = 1;
  double angle = s.initialAngle;
  for (int step = 0; step < s.steps; ++step) {
    std::vector<double> norms;
    bool moving = false;
    for (size_t i = 0; i < qs.size(); ++i) {
      norms.push_back(skewNorm(qs[i], grads[i], sizes[i]));
      moving |= norms.back() > 0;
    }
    if (!moving)
      break; // stationary
    bool kept = false;
    for (int half = 0; half <= s.maxHalvings && !kept; ++half) {
      OrthogonalSet trial = qs;
      for (size_t i = 0; i < qs.size(); ++i)
        if (norms[i] > 0)
          trial[i] = cayleyStep(qs[i], grads[i], sizes[i], angle / norms[i]);
      OrthogonalSet trialGrads;
      double l2 = loss(trial, trialGrads);
      ++out.evaluations;
      if (l2 < out.loss) {
        qs = std::move(trial);
        grads = std::move(trialGrads);
        out.loss = l2;
        kept = true;
        ++out.accepted;
        angle *= 1.2;
      } else {
        angle *= 0.5;
      }
    }
    if (!kept)
      break; // no descent left at the smallest angle tried
  }
  return out;
}

} // namespace itq3::format
