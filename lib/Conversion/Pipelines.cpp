//===- Pipelines.cpp - itq3 lowering pipelines ----------------------------===//
#include "itq3/Conversion/Pipelines.h"

#include "itq3/Transforms/Passes.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::itq3::buildCpuLLVMPipeline(OpPassManager &pm,
                                      const CpuPipelineOptions &options) {
  pm.addPass(createITQ3Tile(ITQ3TileOptions{options.tileM, options.tileN}));
  pm.addPass(createITQ3StageTiles());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  // Tiles run one after another here; threads split N between calls.
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::itq3::registerITQ3Pipelines() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "itq3-to-cpu-llvm",
      "Lower itq3.matmul_into kernels through tiles and staged loops to the "
      "LLVM dialect",
      buildCpuLLVMPipeline);
}
