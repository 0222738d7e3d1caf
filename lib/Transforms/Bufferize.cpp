//===- Bufferize.cpp - tensor-level itq3 functions to buffers -------------===//
//
// The bridge from what the model-level passes produce to what the kernel
// passes take. Upstream's bufferization does the work through itq3's
// BufferizableOpInterface models; this pass picks its options and skips
// modules that are already buffers, whose own allocations and frees the
// deallocation pipeline would reject.
//
//===----------------------------------------------------------------------===//
#include "itq3/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3BUFFERIZE
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

bool isTensorLevel(Type type) {
  return isa<TensorType, PackedWeightType>(type);
}

/// Whether any function signature or op of the module has tensor-level
/// values.
bool hasTensorLevelCode(ModuleOp module) {
  return module
      .walk([](Operation *op) {
        auto func = dyn_cast<FunctionOpInterface>(op);
        bool tensors =
            func ? llvm::any_of(func.getArgumentTypes(), isTensorLevel) ||
                       llvm::any_of(func.getResultTypes(), isTensorLevel)
                 : llvm::any_of(op->getResultTypes(), isTensorLevel);
        return tensors ? WalkResult::interrupt() : WalkResult::advance();
      })
      .wasInterrupted();
}

struct BufferizePass
    : public mlir::itq3::impl::ITQ3BufferizeBase<BufferizePass> {
  void runOnOperation() override {
    if (!hasTensorLevelCode(getOperation()))
      return;
    OpPassManager pm(ModuleOp::getOperationName());
    bufferization::OneShotBufferizePassOptions bufferize;
    bufferize.bufferizeFunctionBoundaries = true;
    bufferize.functionBoundaryTypeConversion =
        bufferization::LayoutMapOption::IdentityLayoutMap;
    pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.hoistStaticAllocs = true;
    outParams.hoistDynamicAllocs = true;
    outParams.modifyPublicFunctions = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
    bufferization::buildBufferDeallocationPipeline(pm);
    if (failed(runPipeline(pm, getOperation())))
      signalPassFailure();
  }
};

} // namespace
