//===- CpuFunction.cpp - compile and call a function of a module ----------===//
#include "itq3/Conversion/CpuFunction.h"

#include "KernelModule.h"

#include "itq3/Conversion/GpuEmulation.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"

using namespace mlir;
using namespace mlir::itq3;

CpuFunction::~CpuFunction() = default;

std::unique_ptr<CpuFunction>
CpuFunction::compile(const std::string &source, const std::string &name,
                     const CpuPipelineOptions &options, std::string &error) {
  KernelModule module(source);
  if (!module.run([&](OpPassManager &pm) { buildCpuLLVMPipeline(pm, options); },
                  "cannot lower the module", error))
    return nullptr;
  std::unique_ptr<CpuFunction> compiled(new CpuFunction());
  if (!module.jit(name, compiled->engine, compiled->address, error))
    return nullptr;
  return compiled;
}

std::unique_ptr<CpuFunction>
CpuFunction::compileGpuEmulated(const std::string &source,
                                const std::string &name,
                                const PtxPipelineOptions &options,
                                std::string &error) {
  KernelModule module(source);
  if (!emulateGpuKernels(module, options, GpuEmulation{}, error))
    return nullptr;
  std::unique_ptr<CpuFunction> compiled(new CpuFunction());
  if (!module.jit(name, compiled->engine, compiled->address, error))
    return nullptr;
  return compiled;
}
