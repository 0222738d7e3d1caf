//===- Kotms.cpp - Learning TWLA's Kronecker rotation ---------------------===//

#include "itq3/Format/Kotms.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/FWHT.h"
#include "itq3/Format/Random.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

namespace itq3::format {

namespace {

/// B and C in double while they are learned.
struct Factors {
  int64_t l, r;
  std::vector<double> c, b;
};

/// out = a [p x q] * b^T with b [s x q]: out [p x s].
void mulTransposed(const double *a, const double *b, int64_t p, int64_t q,
                   int64_t s, double *out) {
  for (int64_t i = 0; i < p; ++i)
    for (int64_t j = 0; j < s; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < q; ++k)
        sum += a[i * q + k] * b[j * q + k];
      out[i * s + j] = sum;
    }
}

/// out = a [p x q] * b [q x s].
void mul(const double *a, const double *b, int64_t p, int64_t q, int64_t s,
         double *out) {
  std::fill(out, out + p * s, 0.0);
  for (int64_t i = 0; i < p; ++i)
    for (int64_t k = 0; k < q; ++k) {
      double v = a[i * q + k];
      for (int64_t j = 0; j < s; ++j)
        out[i * s + j] += v * b[k * s + j];
    }
}

/// The residual of the weight-only ternary fit of one rotated row:
/// e = w' - fit(w'), returned in `e`; its squared norm is the return value.
double fitResidual(const std::vector<double> &rotated, const TwlaParams &p,
                   std::vector<double> &e) {
  int64_t k = int64_t(rotated.size());
  std::vector<float> w(rotated.begin(), rotated.end());
  std::vector<int8_t> t(static_cast<size_t>(p.group));
  e.resize(size_t(k));
  double sum = 0;
  for (int64_t g = 0; g < k / p.group; ++g) {
    const float *wg = w.data() + g * p.group;
    TernaryScale s = fitTernaryGroup(wg, p.group, t.data(), p);
    for (int64_t j = 0; j < p.group; ++j) {
      double d = double(wg[j]) - (s.mu + s.alpha * t[size_t(j)]);
      e[size_t(g * p.group + j)] = d;
      sum += d * d;
    }
  }
  return sum;
}

/// Loss of the sample rows, and (when the gradients are asked for) the
/// Euclidean gradients of B and C, unnormalized: the caller divides.
double lossAndGradient(const Factors &f, const std::vector<double> &rows,
                       int64_t count, const TwlaParams &p,
                       std::vector<double> *gradB, std::vector<double> *gradC) {
  int64_t l = f.l, r = f.r, k = l * r;
  std::vector<double> cw(static_cast<size_t>(k)), wbt(cw), rot(cw), e, tmp;
  if (gradB)
    gradB->assign(size_t(r * r), 0.0);
  if (gradC)
    gradC->assign(size_t(l * l), 0.0);
  double loss = 0;
  for (int64_t n = 0; n < count; ++n) {
    const double *wn = rows.data() + n * k;
    mul(f.c.data(), wn, l, l, r, cw.data());              // C W
    mulTransposed(cw.data(), f.b.data(), l, r, r, rot.data()); // C W B^T
    loss += fitResidual(rot, p, e);
    if (!gradB)
      continue;
    // G = 2 e (l x r). dB += G^T (C W): r x r; dC += G (W B^T)^T: l x l.
    for (double &v : e)
      v *= 2;
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < r; ++j) {
        double s = 0;
        for (int64_t m = 0; m < l; ++m)
          s += e[size_t(m * r + i)] * cw[size_t(m * r + j)];
        (*gradB)[size_t(i * r + j)] += s;
      }
    mulTransposed(wn, f.b.data(), l, r, r, wbt.data()); // W B^T
    tmp.resize(size_t(l * l));
    mulTransposed(e.data(), wbt.data(), l, r, l, tmp.data());
    for (int64_t i = 0; i < l * l; ++i)
      (*gradC)[size_t(i)] += tmp[size_t(i)];
  }
  return loss;
}

} // namespace

double ternaryFitLoss(const KronRotation &rot, const float *w, int64_t rows,
                      const TwlaParams &p, unsigned threads) {
  int64_t k = rot.size();
  std::vector<float> rotated(static_cast<size_t>(rows * k));
  kronRotateRows(rot, w, rows, rotated.data(), false, threads);
  double err = 0, norm = 0;
  std::mutex lock;
  parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
    std::vector<int8_t> t(static_cast<size_t>(p.group));
    double e = 0, n = 0;
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t g = 0; g < k / p.group; ++g) {
        const float *wg = rotated.data() + r * k + g * p.group;
        TernaryScale s = fitTernaryGroup(wg, p.group, t.data(), p);
        for (int64_t j = 0; j < p.group; ++j) {
          double d = double(wg[j]) - (s.mu + s.alpha * t[size_t(j)]);
          e += d * d;
          n += double(wg[j]) * wg[j];
        }
      }
    std::lock_guard<std::mutex> guard(lock);
    err += e;
    norm += n;
  });
  return norm > 0 ? err / norm : 0.0;
}

KotmsResult learnKronRotation(const float *w, int64_t rows,
                              const KronRotation &start, const TwlaParams &p,
                              const KotmsOptions &o) {
  TwlaParams fit = p;
  fit.iterations = o.fitIterations;
  int64_t k = start.size();
  std::vector<int64_t> idx = sampleIndices(rows, o.sampleRows, o.seed);
  int64_t count = int64_t(idx.size());
  std::vector<double> sample(static_cast<size_t>(count * k));
  double norm = 0;
  for (int64_t n = 0; n < count; ++n)
    for (int64_t j = 0; j < k; ++j) {
      double v = w[idx[size_t(n)] * k + j];
      sample[size_t(n * k + j)] = v;
      norm += v * v;
    }
  if (!(norm > 0))
    norm = 1;
  // B and C learned together: qs = {B, C}.
  OrthogonalSet qs = {std::vector<double>(start.b.begin(), start.b.end()),
                      std::vector<double>(start.c.begin(), start.c.end())};
  OrthogonalLoss loss = [&](const OrthogonalSet &q, OrthogonalSet &grads) {
    grads.assign(2, {});
    return lossAndGradient({start.l, start.r, q[1], q[0]}, sample, count, fit,
                           &grads[0], &grads[1]) /
           norm;
  };
  CayleyResult search =
      cayleyDescent(qs, {start.r, start.l}, loss,
                    {o.steps, o.initialAngle, o.maxHalvings});
  KotmsResult out;
  out.startLoss = search.startLoss;
  out.learnedLoss = search.loss;
  out.accepted = search.accepted;
  out.evaluations = search.evaluations;
  out.rotation.l = start.l;
  out.rotation.r = start.r;
  out.rotation.b.assign(qs[0].begin(), qs[0].end());
  out.rotation.c.assign(qs[1].begin(), qs[1].end());
  return out;
}

} // namespace itq3::format
