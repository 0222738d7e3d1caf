//===- CpuQuantizeActKernel.h - compiled activation quantizer ---*- C++ -*-===//
//
// The activation side of rotation<activation>, compiled like the matmuls:
// itq3.quantize_act_into (rotate by H D, then int8 per 32) through
// --itq3-to-cpu-llvm, JIT-compiled for C++ callers.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_CONVERSION_CPUQUANTIZEACTKERNEL_H
#define ITQ3_CONVERSION_CPUQUANTIZEACTKERNEL_H

#include "itq3/Conversion/GpuEmulation.h"

#include <cstdint>
#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
}

namespace mlir::itq3 {

class CpuQuantizeActKernel {
public:
  /// K columns; `rotate` applies the FWHT (after the signs of `seed`, if
  /// non-zero) before quantizing. Null and `error` on failure.
  static std::unique_ptr<CpuQuantizeActKernel>
  compile(int64_t k, bool rotate, uint64_t seed, std::string &error);
  /// Its GPU mapping, executed on the CPU by --itq3-emulate-gpu.
  static std::unique_ptr<CpuQuantizeActKernel>
  compileGpuEmulation(int64_t k, bool rotate, uint64_t seed,
                      const GpuEmulation &emulation, std::string &error);
  ~CpuQuantizeActKernel();

  /// values[m x k] and scales[m x k/32] from x[m x k].
  void run(const float *x, int64_t m, int8_t *values, float *scales) const;

private:
  CpuQuantizeActKernel() = default;
  template <typename Lower>
  static std::unique_ptr<CpuQuantizeActKernel>
  compileWith(int64_t k, bool rotate, uint64_t seed, Lower lower,
              std::string &error);
  int64_t k = 0;
  std::unique_ptr<ExecutionEngine> engine;
  void *entry = nullptr;
};

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_CPUQUANTIZEACTKERNEL_H
