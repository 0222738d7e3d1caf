//===- Matmul.cpp - Blocked fp32 matmul against a transposed weight -------===//
//
// A register block of NW weight rows times NX input rows keeps NW*NX vector
// accumulators live, so every loaded vector is used several times. GCC/Clang
// vector extensions give SIMD without -ffast-math (the compiler may not
// reorder a scalar float reduction by itself) and without intrinsics.
//
//===----------------------------------------------------------------------===//

#include "Matmul.h"

#include <algorithm>
#include <cstring>

namespace itq3::model {

namespace {

typedef float v4 __attribute__((vector_size(16)));

inline v4 load(const float *p) {
  v4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline float sum(v4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

/// out[x][w] = dot(W row w, input row x) for an NW x NX block.
template <int NW, int NX>
void block(const float *const *w, const float *const *x, int64_t k,
           float *out, int64_t outStride) {
  v4 acc[NW][NX] = {};
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    v4 xv[NX];
    for (int b = 0; b < NX; ++b)
      xv[b] = load(x[b] + i);
    for (int a = 0; a < NW; ++a) {
      v4 wv = load(w[a] + i);
      for (int b = 0; b < NX; ++b)
        acc[a][b] += wv * xv[b];
    }
  }
  for (int a = 0; a < NW; ++a)
    for (int b = 0; b < NX; ++b) {
      float s = sum(acc[a][b]);
      for (int64_t j = i; j < k; ++j)
        s += w[a][j] * x[b][j];
      out[b * outStride + a] = s;
    }
}

template <int NW>
void rowsBlock(const float *const *w, const float *in, int64_t rows,
               int64_t k, float *out, int64_t n) {
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2) {
    const float *x[2] = {in + r * k, in + (r + 1) * k};
    block<NW, 2>(w, x, k, out + r * n, n);
  }
  if (r < rows) {
    const float *x[1] = {in + r * k};
    block<NW, 1>(w, x, k, out + r * n, n);
  }
}

} // namespace

float dot(const float *a, const float *b, int64_t n) {
  const float *w[1] = {a}, *x[1] = {b};
  float out;
  block<1, 1>(w, x, n, &out, 1);
  return out;
}

void axpy(float alpha, const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) // vectorizes: no reduction
    y[i] += alpha * x[i];
}

void matmulTransposed(ThreadPool &pool, const float *in, int64_t rows,
                      const float *w, int64_t n, int64_t k, float *out) {
  // Input rows are taken 32 at a time so a block of them stays in cache
  // while the weight rows stream past.
  constexpr int64_t rowTile = 32;
  int64_t groups = (n + 3) / 4;
  pool.parallelFor(groups, [&](int64_t g0, int64_t g1) {
    for (int64_t r0 = 0; r0 < rows; r0 += rowTile) {
      int64_t nr = std::min(rowTile, rows - r0);
      for (int64_t g = g0; g < g1; ++g) {
        int64_t c = g * 4;
        const float *wr[4];
        for (int64_t a = 0; a < 4; ++a) // clamped: the tail reads fewer rows
          wr[a] = w + std::min(c + a, n - 1) * k;
        float *o = out + r0 * n + c;
        if (c + 4 <= n) {
          rowsBlock<4>(wr, in + r0 * k, nr, k, o, n);
          continue;
        }
        for (int64_t j = c; j < n; ++j)
          rowsBlock<1>(&wr[j - c], in + r0 * k, nr, k, out + r0 * n + j, n);
      }
    }
  });
}

} // namespace itq3::model
