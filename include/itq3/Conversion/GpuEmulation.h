//===- GpuEmulation.h - GPU kernels run on the CPU --------------*- C++ -*-===//
//
// How compiled-kernel callers (tests) ask for the GPU mapping of a kernel
// executed by --itq3-emulate-gpu instead of the CPU mapping.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_CONVERSION_GPUEMULATION_H
#define ITQ3_CONVERSION_GPUEMULATION_H

#include <cstdint>
#include <functional>

namespace mlir {
class Operation;
}

namespace mlir::itq3 {

struct GpuEmulation {
  int64_t blockSize = 256;
  /// Threads of every phase in descending order (the race check).
  bool reverseThreads = false;
  /// Changes the GPU-level module (kernels outlined, not yet emulated)
  /// before it is emulated: how mutation checks break the GPU mapping.
  std::function<void(Operation *module)> mutate;
};

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_GPUEMULATION_H
