//===- KernelImage.h - what the runtime needs to launch a kernel -*- C++ -*-===//
//
// Produced by the compiler, consumed by the runtime; plain C++ so the
// runtime links no compiler.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_KERNELIMAGE_H
#define ITQ3_RUNTIME_KERNELIMAGE_H

#include <cstdint>
#include <string>
#include <vector>

namespace itq3::rt {

/// One compiled y = x W^T kernel for fixed N, K and format; M varies.
struct MatmulKernelImage {
  /// The buffers a kernel takes. Each is 2-D and passed as a memref
  /// descriptor: allocated pointer, aligned pointer, offset, 2 sizes,
  /// 2 strides (7 parameters).
  enum class Buffer : uint8_t { Activations, Weights, Result, Scales };

  std::string ptx;
  std::string entry;
  std::vector<Buffer> parameters;
  int64_t n = 0, k = 0, rowBytes = 0;
  bool int8Activations = false;
  /// Launch shape: grid (ceil(N / tileN), ceil(M / tileM)), blockSize threads.
  int64_t tileM = 0, tileN = 0, blockSize = 0;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_KERNELIMAGE_H
