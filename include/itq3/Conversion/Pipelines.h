//===- Pipelines.h - itq3 lowering pipelines --------------------*- C++ -*-===//
#ifndef ITQ3_CONVERSION_PIPELINES_H
#define ITQ3_CONVERSION_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::itq3 {

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("Activation rows per tile"),
                        llvm::cl::init(8)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Weight rows per tile"),
                        llvm::cl::init(32)};
};

/// itq3.matmul_into kernels -> tiles -> staged loops -> LLVM dialect, ready
/// for translation to LLVM IR (JIT or object code).
void buildCpuLLVMPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers --itq3-to-cpu-llvm.
void registerITQ3Pipelines();

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_PIPELINES_H
