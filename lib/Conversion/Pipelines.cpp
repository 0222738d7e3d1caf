//===- Pipelines.cpp - itq3 lowering pipelines ----------------------------===//
#include "itq3/Conversion/Pipelines.h"

#include "itq3/Conversion/Passes.h"
#include "itq3/Transforms/Passes.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::itq3;

/// Tensor-level input (itq3.matmul on packed constants or parameters, from
/// --itq3-quantize-weights) to the buffer form that kernels start from:
/// the rotation placed, weights folded to packed constants, then buffers.
static void addBufferization(OpPassManager &pm, const std::string &rotation) {
  pm.addPass(createITQ3PlaceRotation(ITQ3PlaceRotationOptions{rotation}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createITQ3Bufferize());
}

/// The target-independent part: tiles, then staged loops (`avx2`, `vnni`
/// and `vbmi` let the CPU's vector code use AVX2, AVX512-VNNI and
/// AVX512-VBMI intrinsics).
static void addStagedTiles(OpPassManager &pm, int64_t tileM, int64_t tileN,
                           bool mma, bool vectorDecode, bool avx2 = false,
                           bool vnni = false, bool vbmi = false) {
  pm.addPass(createITQ3Tile(ITQ3TileOptions{tileM, tileN}));
  pm.addPass(createITQ3StageTiles(
      ITQ3StageTilesOptions{mma, vectorDecode, avx2, vnni, vbmi}));
  pm.addPass(createITQ3FuseInverseFWHT());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
}

/// Loops, memrefs and vectors of host code to the LLVM dialect.
static void addLLVMLowering(OpPassManager &pm, bool openmp) {
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  if (openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  // Vector shape casts leave ub.poison behind.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

bool mlir::itq3::enablesFeature(llvm::StringRef features,
                                llvm::StringRef feature) {
  bool enabled = false;
  llvm::SmallVector<llvm::StringRef> list;
  features.split(list, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (llvm::StringRef f : list)
    if (f.trim().drop_front() == feature)
      enabled = f.trim().starts_with("+");
  return enabled;
}

mlir::itq3::Int8Products mlir::itq3::int8ProductsFor(llvm::StringRef features) {
  if (!enablesFeature(features, "avx2"))
    return Int8Products::Generic;
  return enablesFeature(features, "avx512vnni") &&
                 enablesFeature(features, "avx512vl")
             ? Int8Products::Vnni
             : Int8Products::Avx2;
}

void mlir::itq3::buildCpuLLVMPipeline(OpPassManager &pm,
                                      const CpuPipelineOptions &options) {
  addBufferization(pm, options.rotation);
  pm.addPass(createConvertITQ3ModelToSCF(ConvertITQ3ModelToSCFOptions{
      /*vectorize=*/true, /*threads=*/options.openmp}));
  Int8Products products = int8ProductsFor(options.targetFeatures);
  addStagedTiles(pm, options.tileM, options.tileN, options.mma,
                 options.vectorDecode, products != Int8Products::Generic,
                 products == Int8Products::Vnni,
                 enablesFeature(options.targetFeatures, "avx512vbmi") &&
                     enablesFeature(options.targetFeatures, "avx512bw"));
  pm.addPass(createConvertITQ3ToCPU());
  if (options.openmp) {
    // One thread per tile: the phases inside a tile run in order.
    pm.addPass(createParallelForToNestedForsPass());
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(createITQ3InlineAllocaScopes());
  } else {
    // Tiles run one after another; callers may split N between threads.
    pm.addPass(createForallToParallelLoopPass());
  }
  addLLVMLowering(pm, options.openmp);
}

void mlir::itq3::buildGpuKernelPipeline(OpPassManager &pm,
                                        const PtxPipelineOptions &options) {
  addBufferization(pm, options.rotation);
  ConvertITQ3ModelToSCFOptions modelOps;
  modelOps.splitPositions = options.attentionSplit;
  modelOps.tiledNorms = true;
  pm.addPass(createConvertITQ3ModelToSCF(modelOps));
  addStagedTiles(pm, options.tileM, options.tileN, options.mma,
                 /*vectorDecode=*/false);
  pm.addNestedPass<func::FuncOp>(
      createConvertITQ3ToGPU(ConvertITQ3ToGPUOptions{options.blockSize}));
  // The model ops' loops: one parallel loop each, tiled so that the
  // iterations of its last dimension are the threads of blocks.
  pm.addNestedPass<func::FuncOp>(createITQ3TileParallelLoops());
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createITQ3BindDeviceBuffers());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createITQ3NameKernels());
  pm.addPass(createConvertITQ3ToNVVM());
}

void mlir::itq3::buildGpuEmulationPipeline(OpPassManager &pm,
                                            bool reverseThreads,
                                            bool exportKernels) {
  pm.addPass(createITQ3EmulateGPU(
      ITQ3EmulateGPUOptions{reverseThreads, exportKernels}));
  pm.addPass(createCanonicalizerPass());
  // Threads whose phase allocates run in an alloca_scope each.
  pm.addPass(createITQ3InlineAllocaScopes());
  addLLVMLowering(pm, /*openmp=*/false);
  if (exportKernels)
    pm.addPass(createITQ3ExportKernelLaunchers());
}

void mlir::itq3::buildGpuBinaryPipeline(OpPassManager &pm,
                                        const PtxPipelineOptions &options) {
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = options.format;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

void mlir::itq3::buildPtxPipeline(OpPassManager &pm,
                                  const PtxPipelineOptions &options) {
  buildGpuKernelPipeline(pm, options);
  buildGpuBinaryPipeline(pm, options);
}

void mlir::itq3::registerITQ3Pipelines() {
  PassPipelineRegistration<PtxPipelineOptions>(
      "itq3-to-ptx",
      "Lower itq3.matmul (tensors) or itq3.matmul_into kernels to GPU "
      "kernels with shared-memory "
      "stages, barriers, dp4a and mma.sync, serialized into a gpu.binary "
      "(PTX or cubin)",
      buildPtxPipeline);
  PassPipelineRegistration<PtxPipelineOptions>(
      "itq3-to-gpu-kernels",
      "The first half of --itq3-to-ptx: kernels outlined into gpu.func with "
      "workgroup memory, barriers, dp4a and mma.sync, not yet NVVM",
      buildGpuKernelPipeline);
  PassPipelineRegistration<GpuEmulationPipelineOptions>(
      "itq3-emulate-gpu-llvm",
      "Run the GPU kernels of --itq3-to-gpu-kernels' output on the CPU "
      "(--itq3-emulate-gpu), then lower the module to the LLVM dialect",
      [](OpPassManager &pm, const GpuEmulationPipelineOptions &options) {
        buildGpuEmulationPipeline(pm, options.reverseThreads,
                                  options.exportKernels);
      });
  PassPipelineRegistration<CpuPipelineOptions>(
      "itq3-to-cpu-llvm",
      "Lower itq3.matmul (tensors) or itq3.matmul_into kernels through "
      "tiles and staged loops to the "
      "LLVM dialect",
      buildCpuLLVMPipeline);
}
