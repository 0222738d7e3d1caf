//===- CpuQuantizeActKernel.h - compiled activation quantizer ---*- C++ -*-===//
//
// The activation side of rotation<activation>, compiled like the matmuls:
// itq3.quantize_act_into (rotate by H D, then int8 per 32; or TWLA's
// Kronecker rotation and per-row low-bit codes) through --itq3-to-cpu-llvm,
// JIT-compiled for C++ callers.
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

/// The quantizer of K columns: the attributes of itq3.quantize_act_into.
struct QuantizeActSpec {
  int64_t k = 0;
  /// The FWHT of `rotationBlock` (256 or 64) columns, after the signs of
  /// `seed` when it is non-zero.
  bool rotate = false;
  uint64_t seed = 0;
  /// Sizes of the Kronecker factors C [l, l] and B [r, r] (l r = K), or 0:
  /// no Kronecker rotation.
  int64_t kronL = 0, kronR = 0;
  /// 0: int8 per 32; 2..7: TWLA's per-row asymmetric codes with `clip`.
  int bits = 0;
  float clip = 1;
  int64_t rotationBlock = 256;
};

class CpuQuantizeActKernel {
public:
  /// Null and `error` on failure.
  static std::unique_ptr<CpuQuantizeActKernel>
  compile(const QuantizeActSpec &spec, std::string &error);
  /// Its GPU mapping, executed on the CPU by --itq3-emulate-gpu.
  static std::unique_ptr<CpuQuantizeActKernel>
  compileGpuEmulation(const QuantizeActSpec &spec,
                      const GpuEmulation &emulation, std::string &error);
  ~CpuQuantizeActKernel();

  /// values[m x k] and scales[m x k/32] from x[m x k]; c [l x l] and b
  /// [r x r] are the Kronecker factors when the spec has them.
  void run(const float *x, int64_t m, int8_t *values, float *scales,
           const float *c = nullptr, const float *b = nullptr) const;

private:
  CpuQuantizeActKernel() = default;
  template <typename Lower>
  static std::unique_ptr<CpuQuantizeActKernel>
  compileWith(const QuantizeActSpec &spec, Lower lower, std::string &error);
  QuantizeActSpec spec;
  std::unique_ptr<ExecutionEngine> engine;
  void *entry = nullptr;
};

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_CPUQUANTIZEACTKERNEL_H
