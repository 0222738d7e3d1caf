//===- LowRank.cpp - Truncated SVD by randomized subspace iteration -------===//
//
// Y = A Omega, then q rounds of Z = orth(A^T Y), Y = orth(A Z); finally
// B = Y^T A (l x cols) and the eigen-decomposition of B B^T = E L E^T gives
// the rank-r approximation (Y E_r)(E_r^T B). Nothing divides by a singular
// value, so rank-deficient inputs are handled: their missing directions
// come out as zero rows of `right`.
//
// Subspaces are kept transposed (l rows of length rows or cols) so that
// orthonormalization works on contiguous rows and A^T Y is the product
// Y^T A, which the row-major kernel computes without transposing A.
//
//===----------------------------------------------------------------------===//

#include "itq3/Format/LowRank.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/Random.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace itq3::format {

namespace {

/// transposed() of a whole matrix held in a vector.
std::vector<float> transpose(const std::vector<float> &in, int64_t rows,
                             int64_t cols) {
  return transposed(in.data(), rows, cols);
}

/// sum a[c] b[c] in double, in 8 independent lanes so that the compiler
/// vectorizes it (a single running sum is a dependency chain it may not
/// reorder); orthonormalization spends its time here.
double dot(const float *a, const float *b, int64_t n) {
  double lane[8] = {};
  int64_t c = 0;
  for (; c + 8 <= n; c += 8)
    for (int k = 0; k < 8; ++k)
      lane[k] += double(a[c + k]) * double(b[c + k]);
  double s = 0;
  for (; c < n; ++c)
    s += double(a[c]) * b[c];
  for (double x : lane)
    s += x;
  return s;
}

/// Modified Gram-Schmidt on the l rows of q[l x n], twice ("twice is
/// enough", Giraud et al. 2005), dot products in double. A row that is
/// (nearly) in the span of the earlier ones becomes zero instead of
/// amplified noise.
void orthonormalizeRows(std::vector<float> &q, int64_t l, int64_t n) {
  std::vector<double> norm0(static_cast<size_t>(l));
  for (int64_t i = 0; i < l; ++i)
    norm0[size_t(i)] = std::sqrt(dot(q.data() + i * n, q.data() + i * n, n));
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t i = 0; i < l; ++i) {
      float *row = q.data() + i * n;
      for (int64_t j = 0; j < i; ++j) {
        const float *prev = q.data() + j * n;
        float proj = float(dot(row, prev, n));
        for (int64_t c = 0; c < n; ++c)
          row[c] -= proj * prev[c];
      }
      double norm = std::sqrt(dot(row, row, n));
      bool dependent = !(norm > 1e-6 * norm0[size_t(i)]) || norm == 0;
      float inv = dependent ? 0.0f : float(1.0 / norm);
      for (int64_t c = 0; c < n; ++c)
        row[c] *= inv;
      if (pass == 0)
        norm0[size_t(i)] = dependent ? 0 : 1;
    }
}

/// y[rows x l] = a[rows x cols] * z[cols x l], rows split over threads.
std::vector<float> multiplyRight(const float *a, int64_t rows, int64_t cols,
                                 const std::vector<float> &z, int64_t l,
                                 unsigned threads) {
  std::vector<float> y(size_t(rows * l), 0.0f);
  parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
    gemmAccumulate(r1 - r0, l, cols, 1.0f, a + r0 * cols, cols, z.data(), l,
                   y.data() + r0 * l, l);
  });
  return y;
}

/// b[l x cols] = yt[l x rows] * a[rows x cols], columns split over threads.
std::vector<float> multiplyLeft(const std::vector<float> &yt, int64_t l,
                                const float *a, int64_t rows, int64_t cols,
                                unsigned threads) {
  std::vector<float> b(size_t(l * cols), 0.0f);
  parallelRanges(cols, threads, [&](int64_t c0, int64_t c1) {
    gemmAccumulate(l, c1 - c0, rows, 1.0f, yt.data(), rows, a + c0, cols,
                   b.data() + c0, cols);
  });
  return b;
}

/// The orthonormal basis Y^T [l x rows] of the range of A after the power
/// iterations.
std::vector<float> rangeBasis(const float *a, int64_t rows, int64_t cols,
                              int64_t l, const LowRankOptions &o) {
  RandomStream random(o.seed);
  std::vector<float> omega(size_t(cols * l));
  for (float &x : omega)
    x = float(random.gaussian());
  std::vector<float> yt =
      transpose(multiplyRight(a, rows, cols, omega, l, o.threads), rows, l);
  orthonormalizeRows(yt, l, rows);
  for (int it = 0; it < o.powerIterations; ++it) {
    std::vector<float> zt = multiplyLeft(yt, l, a, rows, cols, o.threads);
    orthonormalizeRows(zt, l, cols);
    yt = transpose(multiplyRight(a, rows, cols, transpose(zt, l, cols), l,
                                 o.threads),
                   rows, l);
    orthonormalizeRows(yt, l, rows);
  }
  return yt;
}

Status checkInput(const float *a, int64_t rows, int64_t cols, int64_t rank) {
  if (rows <= 0 || cols <= 0 || rank < 1 || rank > std::min(rows, cols)) {
    std::ostringstream os;
    os << "truncated SVD: rank " << rank << " of a " << rows << " x " << cols
       << " matrix (it must be in [1, min(rows, cols)])";
    return Status::error(os.str());
  }
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(a[i])) {
      std::ostringstream os;
      os << "truncated SVD: non-finite value at row " << i / cols
         << ", column " << i % cols;
      return Status::error(os.str());
    }
  return Status::success();
}

} // namespace

void symmetricEigen(std::vector<double> s, int64_t n,
                    std::vector<double> &values, std::vector<double> &vectors) {
  vectors.assign(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    vectors[size_t(i * n + i)] = 1.0;
  auto at = [&](int64_t i, int64_t j) -> double & { return s[size_t(i * n + j)]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, diag = 0;
    for (int64_t i = 0; i < n; ++i) {
      diag += at(i, i) * at(i, i);
      for (int64_t j = i + 1; j < n; ++j)
        off += at(i, j) * at(i, j);
    }
    if (off <= 1e-30 * diag || off == 0)
      break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        double apq = at(p, q);
        if (apq == 0)
          continue;
        // The rotation that zeroes s[p][q] (Golub & Van Loan 8.5.2).
        double theta = (at(q, q) - at(p, p)) / (2 * apq);
        double t = (theta >= 0 ? 1.0 : -1.0) /
                   (std::fabs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), sn = t * c;
        for (int64_t k = 0; k < n; ++k) { // columns p, q
          double skp = at(k, p), skq = at(k, q);
          at(k, p) = c * skp - sn * skq;
          at(k, q) = sn * skp + c * skq;
        }
        for (int64_t k = 0; k < n; ++k) { // rows p, q
          double spk = at(p, k), sqk = at(q, k);
          at(p, k) = c * spk - sn * sqk;
          at(q, k) = sn * spk + c * sqk;
        }
        for (int64_t k = 0; k < n; ++k) {
          double vkp = vectors[size_t(k * n + p)], vkq = vectors[size_t(k * n + q)];
          vectors[size_t(k * n + p)] = c * vkp - sn * vkq;
          vectors[size_t(k * n + q)] = sn * vkp + c * vkq;
        }
      }
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t x, int64_t y) { return at(x, x) > at(y, y); });
  std::vector<double> sorted(size_t(n * n));
  values.resize(size_t(n));
  for (int64_t j = 0; j < n; ++j) {
    values[size_t(j)] = at(order[size_t(j)], order[size_t(j)]);
    for (int64_t k = 0; k < n; ++k)
      sorted[size_t(k * n + j)] = vectors[size_t(k * n + order[size_t(j)])];
  }
  vectors = std::move(sorted);
}

Status truncatedSvd(const float *a, int64_t rows, int64_t cols, int64_t rank,
                    const LowRankOptions &options, LowRankFactors &out) {
  if (Status s = checkInput(a, rows, cols, rank); !s)
    return s;
  // Multiples of 16 keep the kernel on its vector tiles.
  int64_t l = std::min(std::min(rows, cols),
                       (rank + std::max<int64_t>(0, options.oversampling) + 15) /
                           16 * 16);
  std::vector<float> yt = rangeBasis(a, rows, cols, l, options);
  std::vector<float> b = multiplyLeft(yt, l, a, rows, cols, options.threads);
  std::vector<double> gram(size_t(l * l), 0.0);
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = dot(b.data() + i * cols, b.data() + j * cols, cols);
      gram[size_t(i * l + j)] = gram[size_t(j * l + i)] = s;
    }
  std::vector<double> values, e;
  symmetricEigen(std::move(gram), l, values, e);
  out.rank = rank;
  out.sigma.assign(size_t(rank), 0.0);
  for (int64_t j = 0; j < rank; ++j)
    out.sigma[size_t(j)] = std::sqrt(std::max(0.0, values[size_t(j)]));
  // left = Y E_r [rows x rank], right = E_r^T B [rank x cols].
  std::vector<float> er(size_t(l * rank)), ert(size_t(rank * l));
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < rank; ++j)
      er[size_t(i * rank + j)] = ert[size_t(j * l + i)] = float(e[size_t(i * l + j)]);
  std::vector<float> y = transpose(yt, l, rows);
  out.left.assign(size_t(rows * rank), 0.0f);
  parallelRanges(rows, options.threads, [&](int64_t r0, int64_t r1) {
    gemmAccumulate(r1 - r0, rank, l, 1.0f, y.data() + r0 * l, l, er.data(), rank,
                   out.left.data() + r0 * rank, rank);
  });
  out.right.assign(size_t(rank * cols), 0.0f);
  parallelRanges(cols, options.threads, [&](int64_t c0, int64_t c1) {
    gemmAccumulate(rank, c1 - c0, l, 1.0f, ert.data(), l, b.data() + c0, cols,
                   out.right.data() + c0, cols);
  });
  return Status::success();
}

} // namespace itq3::format
