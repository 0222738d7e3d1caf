//===- CpuFunction.h - compile and call a function of a module -*- C++ -*-===//
//
// Compiles a whole module with --itq3-to-cpu-llvm (tensor-level functions on
// packed constants, from --itq3-quantize-weights, or buffer-level kernels)
// and JIT-compiles it, so C++ can call what the compiler emits for a model
// function, not only for one generated kernel.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_CONVERSION_CPUFUNCTION_H
#define ITQ3_CONVERSION_CPUFUNCTION_H

#include "itq3/Conversion/Pipelines.h"

#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
}

namespace mlir::itq3 {

class CpuFunction {
public:
  /// Compiles `source` and finds the C interface of function `name`, which
  /// must be marked `llvm.emit_c_interface`. On failure returns null and
  /// sets `error`.
  static std::unique_ptr<CpuFunction>
  compile(const std::string &source, const std::string &name,
          const CpuPipelineOptions &options, std::string &error);
  /// The same through the GPU mapping (--itq3-to-gpu-kernels with
  /// `options`), its kernels executed by --itq3-emulate-gpu.
  static std::unique_ptr<CpuFunction>
  compileGpuEmulated(const std::string &source, const std::string &name,
                     const PtxPipelineOptions &options, std::string &error);
  ~CpuFunction();

  /// `_mlir_ciface_<name>`: takes a pointer to a StridedMemRefType per
  /// buffer. Tensor results have become trailing out-parameters.
  void *entry() const { return address; }

private:
  CpuFunction() = default;
  std::unique_ptr<ExecutionEngine> engine;
  void *address = nullptr;
};

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_CPUFUNCTION_H
