//===- GpuMatmul.h - run a compiled matmul kernel on the GPU ----*- C++ -*-===//
#ifndef ITQ3_RUNTIME_GPUMATMUL_H
#define ITQ3_RUNTIME_GPUMATMUL_H

#include "itq3/Runtime/CudaDriver.h"
#include "itq3/Runtime/KernelImage.h"

#include <memory>
#include <string>

namespace itq3::rt {

/// A loaded kernel with its packed weights resident on the device.
class GpuMatmul {
public:
  /// `packedWeights` holds n x rowBytes bytes as lib/Format stores them.
  static std::unique_ptr<GpuMatmul> create(CudaDriver &driver,
                                           const MatmulKernelImage &image,
                                           const uint8_t *packedWeights,
                                           std::string &error);
  ~GpuMatmul();

  /// y[m x n] = x W^T. `x` is m x k floats, or int8 with `scales` (one per
  /// 32) for int8 kernels. `milliseconds` is the kernel time (events).
  bool run(const void *x, const float *scales, int64_t m, float *y,
           float &milliseconds, std::string &error);

private:
  GpuMatmul(CudaDriver &driver, MatmulKernelImage image)
      : driver(driver), image(std::move(image)) {}

  CudaDriver &driver;
  MatmulKernelImage image;
  void *function = nullptr;
  CUdeviceptr weights = 0;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_GPUMATMUL_H
