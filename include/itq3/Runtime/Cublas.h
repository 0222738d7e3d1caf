//===- Cublas.h - cuBLAS fp16 GEMM, opened at run time ----------*- C++ -*-===//
//
// The GPU baseline of `itq3-bench kernels`: cublasGemmEx with fp16 inputs
// and fp16 output (CUDA_R_16F for A, B and C), fp32 accumulation
// (CUBLAS_COMPUTE_32F, float alpha and beta) and the default algorithm
// (tensor cores where the GPU has them). libcublas is opened with dlopen, so
// nothing here needs the CUDA toolkit to build, and a machine without cuBLAS
// gets an error string, not a crash.
//
// cuBLAS works in the context current to the calling thread: the primary
// context of device 0, which CudaDriver::open retains and makes current. Use
// a CublasGemm on the thread that opened the driver, and destroy it before
// the driver.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_CUBLAS_H
#define ITQ3_RUNTIME_CUBLAS_H

#include "itq3/Runtime/CudaDriver.h"

#include <cstdint>
#include <memory>
#include <string>

namespace itq3::rt {

class CublasGemm {
public:
  /// A cuBLAS handle in the driver's context, or null with `why` saying what
  /// failed (no libcublas.so.13/.so.12/.so, a missing symbol, cublasCreate).
  static std::unique_ptr<CublasGemm> open(CudaDriver &driver,
                                          std::string &why);
  ~CublasGemm();

  /// y[m x n] = x[m x k] W[n x k]^T, like our kernels, with x, W and y
  /// row-major fp16 bit patterns in host memory. Returns false and sets
  /// `error` (naming the call and its status) on failure.
  bool run(const uint16_t *x, const uint16_t *w, int64_t m, int64_t n,
           int64_t k, uint16_t *y, std::string &error);

  /// Median seconds of `reps` timed calls (CUDA events around each), after
  /// one warm-up call, of the product above on device buffers filled with
  /// small deterministic fp16 values.
  bool timeHalfGemm(int64_t m, int64_t n, int64_t k, int reps,
                    double &medianSeconds, std::string &error);

  struct Api;

private:
  explicit CublasGemm(CudaDriver &driver);
  /// Enqueues the product on device buffers (fp16, row-major).
  bool gemm(CUdeviceptr x, CUdeviceptr w, int64_t m, int64_t n, int64_t k,
            CUdeviceptr y, std::string &error);
  bool check(int status, const char *call, std::string &error) const;

  CudaDriver &driver;
  std::unique_ptr<Api> api;
  void *handle = nullptr;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_CUBLAS_H
