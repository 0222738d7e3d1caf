//===- NameKernels.cpp - a program-wide unique name for every kernel ------===//
//
// Outlining names every kernel after the function that launched it and
// makes the gpu.module names unique, so one host function's kernels are
// all `layer_kernel` in modules `layer_kernel`, `layer_kernel_0`, ... A
// driver looks a kernel up by its name alone within a loaded module, but
// profilers list kernels by name, the benchmark sorts their time by what
// they compute, and the runtime's tests resolve them without modules: each
// kernel is named here after the step of the model it computes (the
// NameLoc that lib/Graph gives the ops of each step), else its module.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3NAMEKERNELS
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;

namespace {

/// The first name in `loc` (a NameLoc, possibly inside fused or call-site
/// locations), or empty.
std::string locationName(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

/// `<host function>_<step>` for a kernel launched from ops named after a
/// step of the model (lib/Graph names them: attn_q, attention, ...), else
/// the module's name (with the kernel's where a module holds several);
/// `_1`, `_2`, ... after a name taken already.
std::string kernelName(gpu::GPUModuleOp module, gpu::GPUFuncOp kernel,
                       size_t kernels, gpu::LaunchFuncOp launch,
                       llvm::StringMap<unsigned> &taken) {
  std::string name = module.getName().str();
  if (kernels > 1)
    name += "_" + kernel.getName().str();
  if (launch) {
    std::string step = locationName(launch.getLoc());
    auto host = launch->getParentOfType<FunctionOpInterface>();
    if (!step.empty() && host)
      name = host.getName().str() + "_" + step;
  }
  unsigned uses = taken[name]++;
  return uses ? name + "_" + std::to_string(uses) : name;
}

struct ITQ3NameKernelsPass
    : public mlir::itq3::impl::ITQ3NameKernelsBase<ITQ3NameKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // A launch of each kernel, for the step it comes from.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, gpu::LaunchFuncOp>
        launches;
    module.walk([&](gpu::LaunchFuncOp launch) {
      launches.try_emplace(
          {launch.getKernelModuleName(), launch.getKernelName()}, launch);
    });
    // (module, old kernel name) -> new name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    llvm::StringMap<unsigned> taken;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      auto kernels = llvm::to_vector(llvm::make_filter_range(
          gpuModule.getOps<gpu::GPUFuncOp>(),
          [](gpu::GPUFuncOp f) { return f.isKernel(); }));
      for (gpu::GPUFuncOp kernel : kernels) {
        StringAttr old = kernel.getNameAttr();
        std::string name =
            kernelName(gpuModule, kernel, kernels.size(),
                       launches.lookup({gpuModule.getNameAttr(), old}), taken);
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
