//===- Cublas.cpp - cuBLAS fp16 GEMM, opened at run time ------------------===//
#include "itq3/Runtime/Cublas.h"

#include "itq3/Format/Half.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <type_traits>
#include <vector>

namespace itq3::rt {

namespace {

// The few cuBLAS types and enum values used, declared here so that no CUDA
// header is needed. Values copied from CUDA 13.0's cublas_api.h
// (cublasStatus_t, cublasOperation_t, cublasComputeType_t, cublasGemmAlgo_t)
// and library_types.h (cudaDataType); they have been stable since CUDA 11.
using cublasStatus_t = int;
using cublasHandle_t = void *;
constexpr int CUBLAS_OP_N = 0;
constexpr int CUBLAS_OP_T = 1;
constexpr int CUDA_R_16F = 2;
constexpr int CUBLAS_COMPUTE_32F = 68;
constexpr int CUBLAS_GEMM_DEFAULT = -1;

} // namespace

struct CublasGemm::Api {
  cublasStatus_t (*create)(cublasHandle_t *);
  cublasStatus_t (*destroy)(cublasHandle_t);
  cublasStatus_t (*gemmEx)(cublasHandle_t, int transa, int transb, int m,
                           int n, int k, const void *alpha, const void *a,
                           int aType, int lda, const void *b, int bType,
                           int ldb, const void *beta, void *c, int cType,
                           int ldc, int computeType, int algo);
  /// Optional (cuBLAS 11.4.2 and later): "CUBLAS_STATUS_...".
  const char *(*statusName)(cublasStatus_t);
};

CublasGemm::CublasGemm(CudaDriver &driver)
    : driver(driver), api(std::make_unique<Api>()) {}

std::unique_ptr<CublasGemm> CublasGemm::open(CudaDriver &driver,
                                             std::string &why) {
  // Never dlclose'd: cuBLAS carries its own copy of the CUDA runtime, whose
  // teardown belongs at process exit.
  void *library = nullptr;
  for (const char *name : {"libcublas.so.13", "libcublas.so.12", "libcublas.so"})
    if ((library = dlopen(name, RTLD_NOW | RTLD_LOCAL)))
      break;
  if (!library) {
    const char *detail = dlerror();
    why = std::string("no cuBLAS (libcublas.so.13, .so.12 or .so not found") +
          (detail ? std::string(": ") + detail : std::string()) + ")";
    return nullptr;
  }
  std::unique_ptr<CublasGemm> gemm(new CublasGemm(driver));
  Api &a = *gemm->api;
  auto resolve = [&](auto &fn, const char *symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        dlsym(library, symbol));
    if (!fn)
      why = std::string("libcublas lacks ") + symbol;
    return fn != nullptr;
  };
  if (!resolve(a.create, "cublasCreate_v2") ||
      !resolve(a.destroy, "cublasDestroy_v2") ||
      !resolve(a.gemmEx, "cublasGemmEx"))
    return nullptr;
  a.statusName = reinterpret_cast<const char *(*)(cublasStatus_t)>(
      dlsym(library, "cublasGetStatusName"));
  if (!gemm->check(a.create(&gemm->handle), "cublasCreate", why))
    return nullptr;
  return gemm;
}

CublasGemm::~CublasGemm() {
  if (handle)
    api->destroy(handle);
}

bool CublasGemm::check(int status, const char *call, std::string &error) const {
  if (status == 0) // CUBLAS_STATUS_SUCCESS
    return true;
  const char *name = api->statusName ? api->statusName(status) : nullptr;
  error = std::string(call) + " failed: " + (name ? name : "status") + " (" +
          std::to_string(status) + ")";
  return false;
}

bool CublasGemm::gemm(CUdeviceptr x, CUdeviceptr w, int64_t m, int64_t n,
                      int64_t k, CUdeviceptr y, std::string &error) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) {
    error = "cublasGemmEx: a dimension does not fit an int";
    return false;
  }
  // cuBLAS is column-major; a row-major R x C matrix is the column-major
  // C x R matrix of its transpose, with leading dimension C. So:
  //   y (row-major M x N)  is  y^T, column-major N x M, ldc = N;
  //   W (row-major N x K)  is  W^T, column-major K x N, lda = K;
  //   x (row-major M x K)  is  x^T, column-major K x M, ldb = K.
  // y = x W^T is y^T = W x^T = op(A) op(B) with A = W^T transposed (OP_T)
  // and B = x^T as stored (OP_N): a GEMM of cuBLAS sizes m = N, n = M, k = K.
  const float alpha = 1.0f, beta = 0.0f; // float: CUBLAS_COMPUTE_32F
  return check(api->gemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(m),
                           int(k), &alpha, reinterpret_cast<const void *>(w),
                           CUDA_R_16F, int(k), reinterpret_cast<const void *>(x),
                           CUDA_R_16F, int(k), &beta,
                           reinterpret_cast<void *>(y), CUDA_R_16F, int(n),
                           CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx", error);
}

bool CublasGemm::run(const uint16_t *x, const uint16_t *w, int64_t m,
                     int64_t n, int64_t k, uint16_t *y, std::string &error) {
  size_t xBytes = size_t(m * k) * 2, wBytes = size_t(n * k) * 2,
         yBytes = size_t(m * n) * 2;
  DeviceBuffers buffers(driver);
  CUdeviceptr dx = 0, dw = 0, dy = 0;
  // The copy back waits for the GEMM: both are on the default stream.
  return buffers.add(xBytes, dx, error) && buffers.add(wBytes, dw, error) &&
         buffers.add(yBytes, dy, error) &&
         driver.copyToDevice(dx, x, xBytes, error) &&
         driver.copyToDevice(dw, w, wBytes, error) &&
         gemm(dx, dw, m, n, k, dy, error) &&
         driver.copyToHost(y, dy, yBytes, error);
}

bool CublasGemm::timeHalfGemm(int64_t m, int64_t n, int64_t k, int reps,
                              double &medianSeconds, std::string &error) {
  // Values in [-0.5, 0.5) on a 1/256 grid, exact in fp16.
  std::vector<uint16_t> host(size_t(std::max(m, n) * k));
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = format::floatToHalf(
        float((uint32_t(i) * 2654435761u) >> 24) / 256.0f - 0.5f);
  DeviceBuffers buffers(driver);
  CUdeviceptr dx = 0, dw = 0, dy = 0;
  if (!buffers.add(size_t(m * k) * 2, dx, error) ||
      !buffers.add(size_t(n * k) * 2, dw, error) ||
      !buffers.add(size_t(m * n) * 2, dy, error) ||
      !driver.copyToDevice(dx, host.data(), size_t(m * k) * 2, error) ||
      !driver.copyToDevice(dw, host.data(), size_t(n * k) * 2, error))
    return false;
  auto call = [&](std::string &why) { return gemm(dx, dw, m, n, k, dy, why); };
  std::vector<double> times;
  for (int r = 0; r <= std::max(1, reps); ++r) { // the first run is the warm-up
    float ms = 0;
    if (!driver.timeOnDefaultStream(call, ms, error))
      return false;
    if (r > 0)
      times.push_back(ms * 1e-3);
  }
  std::sort(times.begin(), times.end());
  medianSeconds = times[times.size() / 2];
  return true;
}

} // namespace itq3::rt
