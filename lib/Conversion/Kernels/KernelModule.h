//===- KernelModule.h - a parsed kernel and its diagnostics -----*- C++ -*-===//
//
// What compiling one generated kernel needs, for the CPU JIT and GPU images.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_CONVERSION_KERNELS_KERNELMODULE_H
#define ITQ3_LIB_CONVERSION_KERNELS_KERNELMODULE_H

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace mlir::itq3 {

/// A context with every dialect and interface the lowering needs, holding
/// the parsed kernel of a spec; diagnostics collect into `diagnostics`.
class KernelModule {
public:
  explicit KernelModule(const MatmulKernelSpec &spec);
  ~KernelModule();

  /// Runs `pm`-building `build` on the module; false (with diagnostics in
  /// `error`, prefixed by `what`) on failure.
  template <typename Build>
  bool run(Build build, const char *what, std::string &error) {
    PassManager pm(&context);
    build(pm);
    if (module && succeeded(pm.run(*module)))
      return true;
    error = std::string(what) + ": " + diagnostics;
    return false;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;

private:
  struct Handler;
  std::unique_ptr<Handler> handler;
};

} // namespace mlir::itq3

#endif // ITQ3_LIB_CONVERSION_KERNELS_KERNELMODULE_H
