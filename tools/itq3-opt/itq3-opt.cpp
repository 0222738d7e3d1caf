//===- itq3-opt.cpp - mlir-opt for the itq3 dialect and passes ------------===//
//
// Registers only what itq3 pipelines use; no umbrella headers, which cost
// minutes and gigabytes per file to compile.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"
#include "itq3/Conversion/Pipelines.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "itq3/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::itq3::ITQ3Dialect, mlir::affine::AffineDialect,
                  mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                  mlir::gpu::GPUDialect, mlir::NVVM::NVVMDialect,
                  mlir::LLVM::LLVMDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::nvgpu::NVGPUDialect,
                  mlir::scf::SCFDialect,
                  mlir::tensor::TensorDialect, mlir::vector::VectorDialect>();
  mlir::itq3::registerLoweringInterfaces(registry);
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::bufferization::registerOneShotBufferizePass();
  mlir::bufferization::registerBufferResultsToOutParamsPass();
  mlir::itq3::registerITQ3TransformsPasses();
  mlir::itq3::registerITQ3ConversionPasses();
  mlir::itq3::registerITQ3Pipelines();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "itq3 optimizer driver: the itq3 dialect and its passes\n",
      registry));
}
