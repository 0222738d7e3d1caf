//===- Collectives.h - dp4a and mma.sync as CPU code ------------*- C++ -*-===//
#ifndef ITQ3_LIB_CONVERSION_GPUEMULATION_COLLECTIVES_H
#define ITQ3_LIB_CONVERSION_GPUEMULATION_COLLECTIVES_H

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/Builders.h"

#include <functional>

namespace mlir::itq3::emulation {

/// Replaces dp4a by its integer arithmetic: four byte products (signed or
/// unsigned as the op says) summed into the 32-bit accumulator, wrapping.
void lowerDp4a(NVVM::DotAccumulate4WayOp op);

/// How the warp step reaches the lanes' registers.
struct WarpAccess {
  /// The value `operand` (of the original kernel) holds in lane `lane`.
  std::function<Value(OpBuilder &, Value operand, Value lane)> read;
  /// Gives lane `lane` its result fragment.
  std::function<void(OpBuilder &, Value lane, Value fragment)> write;
  /// A buffer for the step's matrices, allocated once per kernel.
  std::function<Value(OpBuilder &, MemRefType)> scratch;
};

/// Emits the warp-collective step of `op` at the builder's point: gathers
/// the 32 lanes' fragments into the warp's A, B and C matrices by the PTX
/// ISA layouts, computes D = A * B + C (s8 products summed exactly and
/// saturated to s32, as .satfinite does; f16 products summed in f32), and
/// scatters D's fragments back. Fails with a diagnostic for shapes and types
/// it does not model.
LogicalResult emulateMmaSync(OpBuilder &b, nvgpu::MmaSyncOp op,
                             const WarpAccess &access);

} // namespace mlir::itq3::emulation

#endif // ITQ3_LIB_CONVERSION_GPUEMULATION_COLLECTIVES_H
