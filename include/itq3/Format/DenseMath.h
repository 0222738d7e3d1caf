//===- DenseMath.h - The dense kernels of calibrated quantization -*- C++ -*-===//
//
// Calibration needs three dense operations on matrices of up to K = 8960
// (Qwen2.5-1.5B's ffn_down): the second moment H += X^T X of a batch of
// activations, a Cholesky factorization of the damped H, and the rank-B
// error-feedback updates of GPTQ/LDLQ. All are C += A B with row-major
// operands, so one register-blocked kernel serves them; it is compiled
// twice (AVX2+FMA and baseline x86-64/other) and picked at run time, so the
// library still runs on any CPU.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_DENSEMATH_H
#define ITQ3_FORMAT_DENSEMATH_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace itq3::format {

/// C[m x n] += alpha * A[m x k] * B[k x n]; row-major with leading
/// dimensions lda, ldb, ldc. Single-threaded (callers split rows).
void gemmAccumulate(int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb,
                    float *c, int64_t ldc);

/// out[cols x rows] = in[rows x cols]^T (row-major).
std::vector<float> transposed(const float *in, int64_t rows, int64_t cols);

/// Runs fn(begin, end) over contiguous ranges covering [0, n) on up to
/// `threads` threads (0 = hardware concurrency); fn must not fail.
void parallelRanges(int64_t n, unsigned threads,
                    const std::function<void(int64_t, int64_t)> &fn);

/// In-place lower Cholesky factor of the symmetric positive definite
/// a[n x n] (row-major; only the lower triangle is read, the upper one is
/// scratch afterwards): a = L L^T. Fails, naming the pivot, when a is not
/// positive definite.
Status choleskyLower(float *a, int64_t n, unsigned threads);

} // namespace itq3::format

#endif // ITQ3_FORMAT_DENSEMATH_H
