//===- Matmul.h - out[rows x n] = in[rows x k] * W[n x k]^T -----*- C++ -*-===//
#ifndef ITQ3_LIB_MODEL_MATMUL_H
#define ITQ3_LIB_MODEL_MATMUL_H

#include "itq3/Model/ThreadPool.h"

#include <cstdint>

namespace itq3::model {

/// Threaded over the n output columns; each weight row is read once per
/// block of input rows, which is what makes batched (prefill / perplexity)
/// runs fast. Accumulates in fp32.
void matmulTransposed(ThreadPool &pool, const float *in, int64_t rows,
                      const float *w, int64_t n, int64_t k, float *out);

/// Dot product with four partial sums (SIMD without -ffast-math).
float dot(const float *a, const float *b, int64_t n);
/// y += alpha * x.
void axpy(float alpha, const float *x, float *y, int64_t n);

} // namespace itq3::model

#endif // ITQ3_LIB_MODEL_MATMUL_H
