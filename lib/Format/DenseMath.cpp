//===- DenseMath.cpp - GEMM kernel, Cholesky, parallel ranges -------------===//

#include "itq3/Format/DenseMath.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

namespace itq3::format {

namespace {

typedef float v8 __attribute__((vector_size(32)));

inline v8 load8(const float *p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float *p, v8 v) { std::memcpy(p, &v, sizeof v); }

/// MR rows x 16 columns of C, accumulated over k; b advances by ldb.
template <int MR>
inline void tile(int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float *c, int64_t ldc) {
  v8 acc[MR][2] = {};
  for (int64_t p = 0; p < k; ++p) {
    v8 b0 = load8(b + p * ldb), b1 = load8(b + p * ldb + 8);
    for (int r = 0; r < MR; ++r) {
      float s = a[r * lda + p];
      v8 av = {s, s, s, s, s, s, s, s};
      acc[r][0] += av * b0; // contracted to an FMA where the target has one
      acc[r][1] += av * b1;
    }
  }
  v8 al = {alpha, alpha, alpha, alpha, alpha, alpha, alpha, alpha};
  for (int r = 0; r < MR; ++r) {
    store8(c + r * ldc, load8(c + r * ldc) + al * acc[r][0]);
    store8(c + r * ldc + 8, load8(c + r * ldc + 8) + al * acc[r][1]);
  }
}

/// Columns past the last full 16-wide tile: plain loops.
void tailColumns(int64_t m, int64_t j0, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb,
                 float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = j0; j < n; ++j) {
      float s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += a[i * lda + p] * b[p * ldb + j];
      c[i * ldc + j] += alpha * s;
    }
}

// Two clones, chosen once at load time by the CPU's features: the kernel is
// the hot loop of calibration, and FMA doubles its throughput.
__attribute__((target_clones("arch=x86-64-v3", "default")))
void gemmKernel(int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                int64_t lda, const float *b, int64_t ldb, float *c,
                int64_t ldc) {
  // Depth blocks of 256 keep a 256 x 16 panel of B (16 KB) in L1 while
  // every row block of A streams past it.
  constexpr int64_t kc = 256;
  int64_t nFull = n / 16 * 16;
  for (int64_t p0 = 0; p0 < k; p0 += kc) {
    int64_t kk = std::min(kc, k - p0);
    const float *ap = a + p0, *bp = b + p0 * ldb;
    for (int64_t j = 0; j < nFull; j += 16) {
      int64_t i = 0;
      for (; i + 4 <= m; i += 4)
        tile<4>(kk, alpha, ap + i * lda, lda, bp + j, ldb, c + i * ldc + j, ldc);
      for (; i < m; ++i)
        tile<1>(kk, alpha, ap + i * lda, lda, bp + j, ldb, c + i * ldc + j, ldc);
    }
    if (nFull < n)
      tailColumns(m, nFull, n, kk, alpha, ap, lda, bp, ldb, c, ldc);
  }
}

/// Unblocked Cholesky of the diagonal block [k0, k1), whose rows already
/// hold every update from columns before k0. Sums in double.
Status factorDiagonal(float *a, int64_t n, int64_t k0, int64_t k1) {
  for (int64_t j = k0; j < k1; ++j) {
    double s = a[j * n + j];
    for (int64_t p = k0; p < j; ++p)
      s -= double(a[j * n + p]) * a[j * n + p];
    if (!(s > 0)) {
      std::ostringstream os;
      os << "Cholesky: the matrix is not positive definite (pivot " << j
         << " of " << n << " is " << s << "); raise the dampening";
      return Status::error(os.str());
    }
    double d = std::sqrt(s);
    a[j * n + j] = float(d);
    for (int64_t i = j + 1; i < k1; ++i) {
      double t = a[i * n + j];
      for (int64_t p = k0; p < j; ++p)
        t -= double(a[i * n + p]) * a[j * n + p];
      a[i * n + j] = float(t / d);
    }
  }
  return Status::success();
}

/// Row r of the panel below the diagonal block: a[r, k0:k1] L_kk^-T.
void solvePanelRow(float *a, int64_t n, int64_t k0, int64_t k1, int64_t r) {
  float *row = a + r * n;
  for (int64_t j = k0; j < k1; ++j) {
    double t = row[j];
    for (int64_t p = k0; p < j; ++p)
      t -= double(row[p]) * a[j * n + p];
    row[j] = float(t / a[j * n + j]);
  }
}

} // namespace

void gemmAccumulate(int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc) {
  if (m <= 0 || n <= 0 || k <= 0)
    return;
  gemmKernel(m, n, k, alpha, a, lda, b, ldb, c, ldc);
}

std::vector<float> transposed(const float *in, int64_t rows, int64_t cols) {
  std::vector<float> out(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[size_t(c * rows + r)] = in[r * cols + c];
  return out;
}

void parallelRanges(int64_t n, unsigned threads,
                    const std::function<void(int64_t, int64_t)> &fn) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t workers = std::min<int64_t>(threads, n);
  if (workers <= 1) {
    if (n > 0)
      fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < workers; ++t)
    pool.emplace_back([&, t] { fn(n * t / workers, n * (t + 1) / workers); });
  fn(0, n / workers);
  for (std::thread &th : pool)
    th.join();
}

Status choleskyLower(float *a, int64_t n, unsigned threads) {
  constexpr int64_t nb = 128;
  std::vector<float> panelT;
  for (int64_t k0 = 0; k0 < n; k0 += nb) {
    int64_t k1 = std::min(n, k0 + nb), w = k1 - k0, rest = n - k1;
    if (Status s = factorDiagonal(a, n, k0, k1); !s)
      return s;
    if (rest == 0)
      break;
    parallelRanges(rest, threads, [&](int64_t b, int64_t e) {
      for (int64_t r = k1 + b; r < k1 + e; ++r)
        solvePanelRow(a, n, k0, k1, r);
    });
    // Trailing update of the lower triangle: a[i][j] -= sum_p L[i][p] L[j][p]
    // as C -= P P^T with P^T packed so that the kernel reads it by rows.
    panelT.assign(size_t(w * rest), 0.0f);
    for (int64_t i = 0; i < rest; ++i)
      for (int64_t p = 0; p < w; ++p)
        panelT[size_t(p * rest + i)] = a[(k1 + i) * n + k0 + p];
    // Row blocks of 16 up to the diagonal, taken light and heavy in turn
    // (0, last, 1, last - 1, ...) so that contiguous ranges of this order
    // give every thread about the same area of the triangle.
    int64_t blocks = (rest + 15) / 16;
    parallelRanges(blocks, threads, [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; ++q) {
        int64_t b = q % 2 == 0 ? q / 2 : blocks - 1 - q / 2;
        int64_t i0 = b * 16, m = std::min<int64_t>(16, rest - i0);
        gemmAccumulate(m, i0 + m, w, -1.0f, a + (k1 + i0) * n + k0, n,
                       panelT.data(), rest, a + (k1 + i0) * n + k1, n);
      }
    });
  }
  return Status::success();
}

} // namespace itq3::format
