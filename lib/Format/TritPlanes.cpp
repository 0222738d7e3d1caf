//===- TritPlanes.cpp - The PTQTP alternating fit -------------------------===//

#include "itq3/Format/TritPlanes.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace itq3::format {

namespace {

constexpr int8_t kPairs[9][2] = {{0, 0},  {1, 0},   {-1, 0}, {0, 1},  {0, -1},
                                 {1, 1},  {-1, -1}, {1, -1}, {-1, 1}};

/// Condition number of the symmetric positive semi-definite 2x2 matrix
/// [[p, q], [q, r]]; infinite when it is singular.
double condition(double p, double q, double r) {
  double mean = 0.5 * (p + r);
  double radius = std::sqrt(0.25 * (p - r) * (p - r) + q * q);
  double low = mean - radius, high = mean + radius;
  return low > 0 ? high / low : INFINITY;
}

/// Least-squares scales of the current planes.
RidgeSolve solvePlanes(const float *w, const std::vector<int8_t> &t1,
                       const std::vector<int8_t> &t2,
                       const TritPlaneOptions &opts) {
  double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
  for (size_t i = 0; i < t1.size(); ++i) {
    s11 += t1[i] * t1[i];
    s12 += t1[i] * t2[i];
    s22 += t2[i] * t2[i];
    b1 += t1[i] * double(w[i]);
    b2 += t2[i] * double(w[i]);
  }
  return solveRidge2x2(s11, s12, s22, b1, b2, opts);
}

double squaredError(const float *w, const TritPlaneFit &fit) {
  double sum = 0;
  for (size_t i = 0; i < fit.t1.size(); ++i) {
    double e = double(w[i]) - (fit.a1 * fit.t1[i] + fit.a2 * fit.t2[i]);
    sum += e * e;
  }
  return sum;
}

/// a1 >= a2 >= 0: a plane with a negative scale is negated, then the plane
/// with the larger scale goes first. The decoded values do not change.
void canonicalize(TritPlaneFit &fit) {
  auto flip = [](double &a, std::vector<int8_t> &t) {
    if (a >= 0)
      return;
    a = -a;
    for (int8_t &v : t)
      v = int8_t(-v);
  };
  flip(fit.a1, fit.t1);
  flip(fit.a2, fit.t2);
  if (fit.a2 > fit.a1) {
    std::swap(fit.a1, fit.a2);
    std::swap(fit.t1, fit.t2);
  }
}

} // namespace

RidgeSolve solveRidge2x2(double s11, double s12, double s22, double b1,
                         double b2, const TritPlaneOptions &opts) {
  RidgeSolve out;
  double lambda = opts.ridgeStart;
  while (lambda < opts.ridgeCap &&
         condition(s11 + lambda, s12, s22 + lambda) > opts.maxCondition)
    lambda = std::min(lambda * 10, opts.ridgeCap);
  double p = s11 + lambda, r = s22 + lambda;
  double det = p * r - s12 * s12; // > 0: A is PSD and lambda > 0
  out.a1 = (r * b1 - s12 * b2) / det;
  out.a2 = (p * b2 - s12 * b1) / det;
  out.lambda = lambda;
  return out;
}

void bestTritPair(double w, double a1, double a2, int8_t &t1, int8_t &t2) {
  double best = INFINITY;
  for (const auto &pair : kPairs) {
    double e = w - (a1 * pair[0] + a2 * pair[1]);
    if (e * e < best) {
      best = e * e;
      t1 = pair[0];
      t2 = pair[1];
    }
  }
}

TritPlaneFit fitTritPlanes(const float *w, int64_t n,
                           const TritPlaneOptions &opts) {
  TritPlaneFit fit;
  fit.t1.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i)
    fit.t1[size_t(i)] = int8_t((w[i] > 0) - (w[i] < 0));
  fit.t2 = fit.t1;
  for (int it = 1; it <= opts.maxIterations; ++it) {
    RidgeSolve s = solvePlanes(w, fit.t1, fit.t2, opts);
    if (it == 1)
      fit.firstLambda = s.lambda;
    fit.lastLambda = s.lambda;
    double moved = std::max(std::fabs(s.a1 - fit.a1), std::fabs(s.a2 - fit.a2));
    double size = std::max(std::fabs(s.a1), std::fabs(s.a2));
    fit.a1 = s.a1;
    fit.a2 = s.a2;
    fit.iterations = it;
    // The first solve has no previous scales to compare with.
    if (it > 1 && moved <= opts.tolerance * size) {
      fit.converged = true;
      break;
    }
    if (it == opts.maxIterations)
      break; // keep the planes the last scales were solved for
    for (int64_t i = 0; i < n; ++i)
      bestTritPair(w[i], fit.a1, fit.a2, fit.t1[size_t(i)], fit.t2[size_t(i)]);
  }
  canonicalize(fit);
  fit.squaredError = squaredError(w, fit);
  return fit;
}

} // namespace itq3::format
