//===- KernelEmulator.h - a gpu.func as a CPU function ----------*- C++ -*-===//
#ifndef ITQ3_LIB_CONVERSION_GPUEMULATION_KERNELEMULATOR_H
#define ITQ3_LIB_CONVERSION_GPUEMULATION_KERNELEMULATOR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::itq3::emulation {

/// Builds, at `b`'s point (in a module), a function `name` taking the
/// kernel's parameters followed by the grid and block sizes (x, y, z, as
/// index) that runs every block and thread of `kernel` (see
/// --itq3-emulate-gpu). Fails with a diagnostic on what it cannot emulate.
FailureOr<func::FuncOp> emulateKernel(OpBuilder &b, gpu::GPUFuncOp kernel,
                                      StringRef name, bool reverseThreads);

} // namespace mlir::itq3::emulation

#endif // ITQ3_LIB_CONVERSION_GPUEMULATION_KERNELEMULATOR_H
