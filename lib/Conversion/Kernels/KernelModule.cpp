//===- KernelModule.cpp - a parsed kernel and its diagnostics -------------===//
#include "KernelModule.h"

#include "itq3/Conversion/GpuEmulation.h"
#include "itq3/Conversion/Pipelines.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace mlir::itq3;

static DialectRegistry kernelRegistry() {
  DialectRegistry registry;
  registry.insert<ITQ3Dialect, arith::ArithDialect, cf::ControlFlowDialect,
                  func::FuncDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect,
                  nvgpu::NVGPUDialect, NVVM::NVVMDialect, scf::SCFDialect, vector::VectorDialect>();
  registerLoweringInterfaces(registry);
  return registry;
}

struct KernelModule::Handler {
  ScopedDiagnosticHandler scoped;
};

KernelModule::KernelModule(const std::string &source)
    : context(kernelRegistry()) {
  handler.reset(new Handler{ScopedDiagnosticHandler(
      &context, [this](Diagnostic &diag) {
        diagnostics += diag.str() + "\n";
        return success();
      })});
  module = parseSourceString<ModuleOp>(source, &context);
}

KernelModule::~KernelModule() = default;

bool KernelModule::jit(const std::string &name,
                       std::unique_ptr<ExecutionEngine> &engine, void *&entry,
                       std::string &error, const std::string &cpu) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!host) {
    error = "cannot describe this CPU: " + llvm::toString(host.takeError());
    return false;
  }
  if (!cpu.empty()) {
    host->setCPU(cpu);
    host->getFeatures() = llvm::SubtargetFeatures();
  }
  auto machine = host->createTargetMachine();
  if (!machine) {
    error = "cannot target this CPU: " + llvm::toString(machine.takeError());
    return false;
  }
  // The optimizer needs this CPU's machine: without it, the default cost
  // model has no vector registers wider than a scalar, and the vectorizers
  // leave every loop scalar. `options` only refers to the transformer, so
  // it lives here until the engine is built.
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(3, 0, machine->get());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  auto created = ExecutionEngine::create(*module, options, std::move(*machine));
  if (!created) {
    error = "cannot JIT-compile " + name + ": " +
            llvm::toString(created.takeError());
    return false;
  }
  auto found = (*created)->lookup("_mlir_ciface_" + name);
  if (!found) {
    error = llvm::toString(found.takeError());
    return false;
  }
  engine = std::move(*created);
  entry = *found;
  return true;
}

bool mlir::itq3::emulateGpuKernels(KernelModule &kernel,
                                   const PtxPipelineOptions &options,
                                   const GpuEmulation &emulation,
                                   std::string &error) {
  if (!kernel.run([&](OpPassManager &pm) { buildGpuKernelPipeline(pm, options); },
                  "cannot map the kernel to the GPU", error))
    return false;
  if (emulation.mutate)
    emulation.mutate(kernel.module->getOperation());
  return kernel.run(
      [&](OpPassManager &pm) {
        buildGpuEmulationPipeline(pm, emulation.reverseThreads);
      },
      "cannot emulate the GPU kernels", error);
}
