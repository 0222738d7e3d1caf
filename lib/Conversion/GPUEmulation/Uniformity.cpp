//===- Uniformity.cpp - which kernel values vary per thread ---------------===//
#include "Uniformity.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::itq3::emulation;

namespace {
Level max(Level a, Level b) { return a < b ? b : a; }
} // namespace

Uniformity::Uniformity(gpu::GPUFuncOp kernel) {
  if (std::optional<ArrayRef<int32_t>> known = kernel.getKnownBlockSize())
    knownBlockSizeX = (*known)[0];
  for (BlockArgument arg : kernel.getArguments())
    levels[arg] = Level::Block;
  for (BlockArgument arg : kernel.getWorkgroupAttributions())
    levels[arg] = Level::Block;
  kernel.walk<WalkOrder::PreOrder>([&](Operation *op) { visit(op); });
}

Level Uniformity::of(Value value) const {
  auto it = levels.find(value);
  return it == levels.end() ? Level::Thread : it->second;
}

Level Uniformity::of(ValueRange values) const {
  Level level = Level::Block;
  for (Value value : values)
    level = max(level, of(value));
  return level;
}

bool Uniformity::isWarpIndex(Operation *op) const {
  auto divide = dyn_cast<arith::DivUIOp>(op);
  if (!divide || knownBlockSizeX % kWarpSize != 0 || knownBlockSizeX == 0)
    return false;
  auto tid = divide.getLhs().getDefiningOp<gpu::ThreadIdOp>();
  std::optional<int64_t> divisor = getConstantIntValue(divide.getRhs());
  return tid && tid.getDimension() == gpu::Dimension::x && divisor &&
         *divisor > 0 && *divisor % kWarpSize == 0;
}

void Uniformity::visit(Operation *op) {
  // Loop counters of uniform bounds are uniform; everything else a region
  // defines varies, and so do the fragments a lane holds.
  if (auto loop = dyn_cast<scf::ForOp>(op))
    levels[loop.getInductionVar()] = of(ValueRange{
        loop.getLowerBound(), loop.getUpperBound(), loop.getStep()});
  Level level;
  if (isa<gpu::BlockIdOp, gpu::GridDimOp, gpu::BlockDimOp>(op))
    level = Level::Block;
  else if (isWarpIndex(op))
    level = Level::Warp;
  else if (op->getNumRegions() == 0 && isMemoryEffectFree(op) &&
           !isa<gpu::ThreadIdOp, gpu::LaneIdOp, nvgpu::MmaSyncOp>(op))
    level = of(op->getOperands());
  else
    level = Level::Thread;
  for (Value result : op->getResults())
    levels[result] = level;
}
