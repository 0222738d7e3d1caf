//===- EmulateGPU.cpp - run the GPU kernels of a module on the CPU --------===//
//
// The host side of --itq3-emulate-gpu: every gpu.launch_func becomes a call
// of its kernel's emulation (KernelEmulator), device buffers become host
// buffers, and the gpu.modules go.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "KernelEmulator.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3EMULATEGPU
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

std::string emulationName(gpu::GPUModuleOp module, gpu::GPUFuncOp kernel) {
  return ("__itq3_emulated_" + module.getName() + "_" + kernel.getName()).str();
}

/// The kernels read constant tables (grids, signs) by symbol; the host
/// module must hold the same globals.
LogicalResult copyGlobals(gpu::GPUModuleOp from, ModuleOp to) {
  SymbolTable symbols(to);
  OpBuilder b = OpBuilder::atBlockBegin(to.getBody());
  for (auto global : from.getOps<memref::GlobalOp>()) {
    auto existing = symbols.lookup<memref::GlobalOp>(global.getSymName());
    if (!existing) {
      symbols.insert(b.clone(*global));
      continue;
    }
    if (existing.getType() != global.getType() ||
        existing.getInitialValueAttr() != global.getInitialValueAttr())
      return global.emitError("the GPU emulation needs the host's global @")
             << global.getSymName() << " to equal the kernel's";
  }
  return success();
}

LogicalResult replaceLaunch(gpu::LaunchFuncOp launch, func::FuncOp emulated) {
  if (launch.getDynamicSharedMemorySize() || launch.hasClusterSize())
    return launch.emitError("the GPU emulation does not model dynamic shared "
                            "memory or clusters");
  OpBuilder b(launch);
  SmallVector<Value> operands(launch.getKernelOperands());
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  operands.append({grid.x, grid.y, grid.z, block.x, block.y, block.z});
  func::CallOp::create(b, launch.getLoc(), emulated, operands);
  return success();
}

/// Device memory is host memory here; the ordering tokens mean nothing on
/// one thread.
LogicalResult replaceHostOp(Operation *op) {
  OpBuilder b(op);
  if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
    Value buffer = memref::AllocOp::create(
        b, op->getLoc(), alloc.getMemref().getType(), alloc.getDynamicSizes(),
        alloc.getSymbolOperands());
    alloc.getMemref().replaceAllUsesWith(buffer);
    return success();
  }
  if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
    memref::DeallocOp::create(b, op->getLoc(), dealloc.getMemref());
    return success();
  }
  if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
    memref::CopyOp::create(b, op->getLoc(), copy.getSrc(), copy.getDst());
    return success();
  }
  if (isa<gpu::WaitOp>(op))
    return success();
  return op->emitError("the GPU emulation does not model ") << op->getName()
                                                            << " on the host";
}

struct ITQ3EmulateGPUPass
    : public mlir::itq3::impl::ITQ3EmulateGPUBase<ITQ3EmulateGPUPass> {
  using ITQ3EmulateGPUBase::ITQ3EmulateGPUBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<func::FuncOp> emulations;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      if (failed(copyGlobals(gpuModule, module)))
        return signalPassFailure();
      for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>()) {
        if (!kernel.isKernel())
          continue;
        std::string name = emulationName(gpuModule, kernel);
        FailureOr<func::FuncOp> emulated =
            emulation::emulateKernel(b, kernel, name, reverseThreads);
        if (failed(emulated))
          return signalPassFailure();
        if (exportKernels) {
          emulated->setPublic();
          (*emulated)->setAttr("itq3.kernel", kernel.getNameAttr());
        }
        emulations[(gpuModule.getName() + "::" + kernel.getName()).str()] =
            *emulated;
      }
    }
    SmallVector<Operation *> hostOps;
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::GPUModuleOp>(op))
        return WalkResult::skip();
      if (isa<gpu::GPUDialect>(op->getDialect()))
        hostOps.push_back(op);
      return WalkResult::advance();
    });
    for (Operation *op : hostOps) {
      LogicalResult replaced = success();
      if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
        std::string key = (launch.getKernelModuleName().getValue() +
                           "::" + launch.getKernelName().getValue())
                              .str();
        auto it = emulations.find(key);
        replaced = it == emulations.end()
                       ? launch.emitError("no kernel @") << key
                       : replaceLaunch(launch, it->second);
      } else {
        replaced = replaceHostOp(op);
      }
      if (failed(replaced))
        return signalPassFailure();
    }
    // Tokens and device buffers are used only by the ops being replaced.
    for (Operation *op : llvm::reverse(hostOps)) {
      op->dropAllUses();
      op->erase();
    }
    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
