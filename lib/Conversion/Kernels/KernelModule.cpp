//===- KernelModule.cpp - a parsed kernel and its diagnostics -------------===//
#include "KernelModule.h"

#include "itq3/Conversion/Pipelines.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

using namespace mlir;
using namespace mlir::itq3;

static DialectRegistry kernelRegistry() {
  DialectRegistry registry;
  registry.insert<ITQ3Dialect, arith::ArithDialect, cf::ControlFlowDialect,
                  func::FuncDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                  memref::MemRefDialect, NVVM::NVVMDialect, scf::SCFDialect,
                  vector::VectorDialect>();
  registerLoweringInterfaces(registry);
  return registry;
}

struct KernelModule::Handler {
  ScopedDiagnosticHandler scoped;
};

KernelModule::KernelModule(const MatmulKernelSpec &spec)
    : context(kernelRegistry()) {
  handler.reset(new Handler{ScopedDiagnosticHandler(
      &context, [this](Diagnostic &diag) {
        diagnostics += diag.str() + "\n";
        return success();
      })});
  module = parseSourceString<ModuleOp>(matmulKernelSource(spec), &context);
}

KernelModule::~KernelModule() = default;
