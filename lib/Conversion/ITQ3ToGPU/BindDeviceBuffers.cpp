//===- BindDeviceBuffers.cpp - host buffers of GPU kernels on the device --===//
//
// After --convert-itq3-to-gpu, a host function launches kernels on the
// buffers it was given, on buffers it allocates and on weight globals. The
// first are the caller's business; this pass moves the other two to the
// device: allocations become gpu.alloc, weights become parameters that the
// runtime binds to device copies uploaded once.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3BINDDEVICEBUFFERS
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

bool inKernel(Operation *op) { return op->getParentOfType<gpu::LaunchOp>(); }

/// Views (casts, subviews) that host code makes of a buffer for kernels.
bool isView(Operation *op) {
  return isa<memref::CastOp, ViewLikeOpInterface>(op);
}

/// Whether a kernel uses `buffer`, directly or through views.
bool kernelsUse(Value buffer) {
  return llvm::any_of(buffer.getUsers(), [](Operation *user) {
    return inKernel(user) ||
           (isView(user) && llvm::any_of(user->getResults(), kernelsUse));
  });
}

/// Whether host code only reads the sizes of `buffer`, frees it (itself, not
/// a view of it) or makes views of it that kernels alone use: what makes it
/// safe to hold on the device.
bool onlyKernelsAccess(Value buffer, bool viewed = false) {
  return llvm::all_of(buffer.getUsers(), [&](Operation *user) {
    if (inKernel(user) || isa<memref::DimOp>(user))
      return true;
    if (isa<memref::DeallocOp>(user))
      return !viewed;
    return isView(user) &&
           llvm::all_of(user->getResults(), [](Value view) {
             return onlyKernelsAccess(view, /*viewed=*/true);
           });
  });
}

/// Allocations and frees are issued in the async form, which is the one the
/// GPU runtime lowering (gpu-to-llvm) implements, and waited for at once, so
/// they are ordered with the kernels around them as the host code was.
Value newToken(OpBuilder &b, Location loc) {
  return gpu::WaitOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                             ValueRange())
      .getAsyncToken();
}

void waitFor(OpBuilder &b, Location loc, Value token) {
  gpu::WaitOp::create(b, loc, Type(), token);
}

/// A buffer that no kernel uses stays on the host.
LogicalResult allocateOnDevice(memref::AllocOp alloc) {
  if (!kernelsUse(alloc.getResult()))
    return success();
  if (!onlyKernelsAccess(alloc.getResult()))
    return alloc.emitError("a buffer that both host code and GPU kernels "
                           "use cannot be placed on the device");
  OpBuilder b(alloc);
  Location loc = alloc.getLoc();
  auto tokenType = b.getType<gpu::AsyncTokenType>();
  auto device = gpu::AllocOp::create(
      b, loc, alloc.getType(), tokenType, newToken(b, loc),
      alloc.getDynamicSizes(), alloc.getSymbolOperands(), /*hostShared=*/false);
  waitFor(b, loc, device.getAsyncToken());
  for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
    if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
      b.setInsertionPoint(dealloc);
      Location at = dealloc.getLoc();
      auto free = gpu::DeallocOp::create(b, at, tokenType, newToken(b, at),
                                         dealloc.getMemref());
      waitFor(b, at, free.getAsyncToken());
      dealloc.erase();
    }
  alloc.replaceAllUsesWith(device.getMemref());
  alloc.erase();
  return success();
}

/// Each weight read becomes a trailing parameter (one per global).
LogicalResult bindWeights(func::FuncOp func, ModuleOp module) {
  SmallVector<memref::GetGlobalOp> reads;
  func.walk([&](memref::GetGlobalOp read) {
    if (readsWeightGlobal(read))
      reads.push_back(read);
  });
  if (reads.empty())
    return success();
  if (!SymbolTable::symbolKnownUseEmpty(func, module))
    return func.emitError("its GPU kernels read weights, which become "
                          "parameters, but other code calls it");
  llvm::DenseMap<Attribute, Value> parameters;
  for (memref::GetGlobalOp read : reads) {
    if (!onlyKernelsAccess(read.getResult()))
      return read.emitError("a weight that host code reads cannot be "
                            "bound to its device copy");
    Value &parameter = parameters[read.getNameAttr()];
    if (!parameter) {
      unsigned index = func.getNumArguments();
      auto binding = NamedAttribute(
          StringAttr::get(func.getContext(), kWeightGlobalAttrName),
          read.getNameAttr());
      if (failed(func.insertArgument(index, read.getType(),
                                     DictionaryAttr::get(func.getContext(),
                                                         binding),
                                     read.getLoc())))
        return failure();
      parameter = func.getArgument(index);
    }
    read.replaceAllUsesWith(parameter);
    read.erase();
  }
  return success();
}

struct BindDeviceBuffersPass
    : public mlir::itq3::impl::ITQ3BindDeviceBuffersBase<
          BindDeviceBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      bool launches =
          func.walk([](gpu::LaunchOp) { return WalkResult::interrupt(); })
              .wasInterrupted();
      if (!launches)
        continue;
      SmallVector<memref::AllocOp> allocs;
      func.walk([&](memref::AllocOp alloc) {
        if (!alloc->getParentOfType<gpu::LaunchOp>())
          allocs.push_back(alloc);
      });
      for (memref::AllocOp alloc : allocs)
        if (failed(allocateOnDevice(alloc)))
          return signalPassFailure();
      if (failed(bindWeights(func, module)))
        return signalPassFailure();
    }
  }
};

} // namespace
