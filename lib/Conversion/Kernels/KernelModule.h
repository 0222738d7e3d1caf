//===- KernelModule.h - a parsed kernel and its diagnostics -----*- C++ -*-===//
//
// What compiling one generated kernel needs, for the CPU JIT and GPU images.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_CONVERSION_KERNELS_KERNELMODULE_H
#define ITQ3_LIB_CONVERSION_KERNELS_KERNELMODULE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::itq3 {

/// A context with every dialect and interface the lowering needs, holding
/// a parsed kernel; diagnostics collect into `diagnostics`.
class KernelModule {
public:
  explicit KernelModule(const std::string &source);
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

  /// JIT-compiles the (lowered) module and finds the C interface of the
  /// function `name` (declared with llvm.emit_c_interface). `cpu` names
  /// the LLVM CPU to compile for, with its default features (empty: this
  /// host's CPU and features); the code runs here, so it must be one this
  /// host can run.
  bool jit(const std::string &name, std::unique_ptr<ExecutionEngine> &engine,
           void *&entry, std::string &error, const std::string &cpu = "");

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;

private:
  struct Handler;
  std::unique_ptr<Handler> handler;
};

struct GpuEmulation;
struct PtxPipelineOptions;

/// Lowers the kernel in `kernel` through its GPU mapping, then emulates it
/// on the CPU (`emulation` says how) down to the LLVM dialect, ready for
/// KernelModule::jit.
bool emulateGpuKernels(KernelModule &kernel, const PtxPipelineOptions &options,
                       const GpuEmulation &emulation, std::string &error);

} // namespace mlir::itq3

#endif // ITQ3_LIB_CONVERSION_KERNELS_KERNELMODULE_H
