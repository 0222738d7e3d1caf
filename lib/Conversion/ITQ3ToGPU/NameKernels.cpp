//===- NameKernels.cpp - a program-wide unique name for every kernel ------===//
//
// Outlining names every kernel after the function that launched it and
// makes the gpu.module names unique, so one host function's kernels are
// all `layer_kernel` in modules `layer_kernel`, `layer_kernel_0`, ... A
// driver looks a kernel up by its name alone within a loaded module, but
// profilers list kernels by name and the runtime's tests resolve them
// without modules: each kernel takes its module's name here.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3NAMEKERNELS
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;

namespace {

struct ITQ3NameKernelsPass
    : public mlir::itq3::impl::ITQ3NameKernelsBase<ITQ3NameKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // (module, old kernel name) -> new name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      auto kernels = llvm::to_vector(llvm::make_filter_range(
          gpuModule.getOps<gpu::GPUFuncOp>(),
          [](gpu::GPUFuncOp f) { return f.isKernel(); }));
      for (gpu::GPUFuncOp kernel : kernels) {
        std::string name = gpuModule.getName().str();
        if (kernels.size() > 1)
          name += "_" + kernel.getName().str();
        StringAttr old = kernel.getNameAttr();
        if (failed(SymbolTable(gpuModule).rename(kernel, name)))
          return signalPassFailure();
        renamed[{gpuModule.getNameAttr(), old}] = kernel.getNameAttr();
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find(
          {launch.getKernelModuleName(), launch.getKernelName()});
      if (it != renamed.end())
        launch.setKernelAttr(SymbolRefAttr::get(
            launch.getKernelModuleName(), {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};

} // namespace
