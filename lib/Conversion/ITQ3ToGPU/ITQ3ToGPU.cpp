//===- ITQ3ToGPU.cpp - staged tiles -> gpu.launch, threads, barriers ------===//
//
// The second mapping of the one tiled form: a tile is a block, a parallel
// phase is spread over the block's threads and closed by a barrier, a stage
// buffer is workgroup memory.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "itq3/Dialect/ITQ3/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_CONVERTITQ3TOGPU
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

MemRefType inWorkgroupMemory(MemRefType type) {
  auto space = gpu::AddressSpaceAttr::get(type.getContext(),
                                          gpu::AddressSpace::Workgroup);
  return MemRefType::get(type.getShape(), type.getElementType(),
                         type.getLayout(), space);
}

constexpr int64_t kWarpSize = 32;
/// Shared memory a block may use without opting in to more.
constexpr int64_t kStaticSharedBytes = 48 * 1024;

/// for (w = worker; w < prod(ubs); w += workers) { body(delinearize(w)) }
/// then a barrier. Workers are threads, or warps for phases of
/// warp-collective ops. Lower bounds are 0 and steps 1 (as
/// --itq3-stage-tiles makes them).
void distribute(scf::ParallelOp parallel, Value worker, Value workers) {
  OpBuilder b(parallel);
  Location loc = parallel.getLoc();
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (Value ub : parallel.getUpperBound())
    total = arith::MulIOp::create(b, loc, total, ub);
  auto loop = scf::ForOp::create(b, loc, worker, total, workers);
  b.setInsertionPointToStart(loop.getBody());
  IRMapping mapping;
  Value rest = loop.getInductionVar();
  for (int64_t d = parallel.getNumLoops() - 1; d >= 0; --d) {
    Value ub = parallel.getUpperBound()[d];
    mapping.map(parallel.getInductionVars()[d],
                d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, ub));
    if (d != 0)
      rest = arith::DivUIOp::create(b, loc, rest, ub);
  }
  for (Operation &op : parallel.getBody()->without_terminator())
    b.clone(op, mapping);
  b.setInsertionPointAfter(loop);
  gpu::BarrierOp::create(b, loc);
  parallel.erase();
}

/// Whether `op`, defined outside the launch, is recomputed inside instead of
/// passed in: constants, constant tables (a host address would be useless on
/// the device) and dimensions of buffers. Weights are globals too, but
/// --itq3-bind-device-buffers turns them into parameters instead of copying
/// them into every kernel.
bool sinkable(Operation *op) {
  if (auto read = dyn_cast<memref::GetGlobalOp>(op))
    return !readsWeightGlobal(read);
  return isa<arith::ConstantOp, memref::DimOp>(op);
}

/// Clones the sinkable producers of values used in the launch into it, so the
/// kernel's parameters are the buffers alone.
void sinkInvariants(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  bool changed = true;
  while (changed) {
    changed = false;
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(body, captured);
    for (Value value : captured) {
      Operation *producer = value.getDefiningOp();
      if (!producer || !sinkable(producer))
        continue;
      OpBuilder b = OpBuilder::atBlockBegin(&body.front());
      Operation *clone = b.clone(*producer);
      replaceAllUsesInRegionWith(value, clone->getResult(0), body);
      changed = true;
    }
  }
}

LogicalResult checkPhase(scf::ParallelOp parallel) {
  for (auto [lb, step] :
       llvm::zip(parallel.getLowerBound(), parallel.getStep()))
    if (getConstantIntValue(lb) != 0 || getConstantIntValue(step) != 1)
      return parallel.emitError("expected a phase with lower bound 0 and "
                                "step 1, as --itq3-stage-tiles makes");
  return success();
}

/// Whether the phase holds an op that a whole warp runs together.
bool isWarpPhase(scf::ParallelOp parallel) {
  return parallel
      ->walk([](itq3::MmaOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

LogicalResult checkSharedMemory(scf::ForallOp forall,
                                ArrayRef<memref::AllocaOp> stages) {
  int64_t bytes = 0;
  for (memref::AllocaOp stage : stages)
    bytes += stage.getType().getNumElements() *
             stage.getType().getElementTypeBitWidth() / 8;
  if (bytes > kStaticSharedBytes)
    return forall.emitError("the tile's stage buffers need ")
           << bytes << " bytes of shared memory, more than the "
           << kStaticSharedBytes << " a block gets without opting in; use "
           << "smaller tiles";
  return success();
}

LogicalResult mapTile(scf::ForallOp forall, int64_t blockSize) {
  if (!forall.getOutputs().empty())
    return forall.emitError("expected a tile loop on buffers (no outputs)");
  OpBuilder b(forall);
  Location loc = forall.getLoc();
  // Grid: the innermost tile dimension (N) on x.
  SmallVector<Value, 3> grid(3, arith::ConstantIndexOp::create(b, loc, 1));
  SmallVector<OpFoldResult> ubs = forall.getMixedUpperBound();
  if (ubs.size() > 3)
    return forall.emitError("at most 3 tile dimensions map onto a grid");
  for (size_t d = 0; d < ubs.size(); ++d)
    grid[ubs.size() - 1 - d] = getValueOrCreateConstantIndexOp(b, loc, ubs[d]);
  Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);

  SmallVector<memref::AllocaOp> stages;
  SmallVector<Type> workgroup;
  for (auto alloca : forall.getBody()->getOps<memref::AllocaOp>()) {
    if (!alloca.getType().hasStaticShape())
      return alloca.emitError("a stage buffer needs a static shape");
    stages.push_back(alloca);
    workgroup.push_back(inWorkgroupMemory(alloca.getType()));
  }
  if (failed(checkSharedMemory(forall, stages)))
    return failure();
  auto launch = gpu::LaunchOp::create(
      b, loc, grid[0], grid[1], grid[2], threads, one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, workgroup);

  IRMapping mapping;
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  Value ids[3] = {blockIds.x, blockIds.y, blockIds.z};
  for (size_t d = 0; d < ubs.size(); ++d)
    mapping.map(forall.getInductionVar(d), ids[ubs.size() - 1 - d]);
  for (auto [alloca, attribution] :
       llvm::zip(stages, launch.getWorkgroupAttributions()))
    mapping.map(alloca.getResult(), attribution);

  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  for (Operation &op : forall.getBody()->without_terminator())
    if (!isa<memref::AllocaOp>(op))
      b.clone(op, mapping);
  gpu::TerminatorOp::create(b, loc);
  forall.erase();
  sinkInvariants(launch);
  // Views of a stage (TwinQuant's t) are in workgroup memory as it is.
  launch.getBody().walk([](memref::SubViewOp view) {
    auto source = cast<MemRefType>(view.getSource().getType());
    auto type = cast<MemRefType>(view.getType());
    if (source.getMemorySpace() != type.getMemorySpace())
      view.getResult().setType(MemRefType::get(type.getShape(),
                                               type.getElementType(),
                                               type.getLayout(),
                                               source.getMemorySpace()));
  });

  Value tid = launch.getThreadIds().x;
  Value blockDim = launch.getBlockSize().x;
  SmallVector<scf::ParallelOp> phases;
  launch.getBody().walk([&](scf::ParallelOp p) { phases.push_back(p); });
  for (scf::ParallelOp phase : phases) {
    if (failed(checkPhase(phase)))
      return failure();
    if (isWarpPhase(phase) && blockSize % kWarpSize != 0)
      return phase.emitError("a phase of warp-collective ops needs whole "
                             "warps, but block-size is ")
             << blockSize;
  }
  Value warp, warps;
  for (scf::ParallelOp phase : phases) {
    if (!isWarpPhase(phase)) {
      distribute(phase, tid, blockDim);
      continue;
    }
    if (!warp) {
      b.setInsertionPointToStart(&body);
      Value warpSize = arith::ConstantIndexOp::create(b, loc, kWarpSize);
      warp = arith::DivUIOp::create(b, loc, tid, warpSize);
      warps = arith::DivUIOp::create(b, loc, blockDim, warpSize);
    }
    distribute(phase, warp, warps);
  }
  return success();
}

struct ConvertITQ3ToGPUPass
    : public mlir::itq3::impl::ConvertITQ3ToGPUBase<ConvertITQ3ToGPUPass> {
  using ConvertITQ3ToGPUBase::ConvertITQ3ToGPUBase;

  void runOnOperation() override {
    if (blockSize <= 0) {
      getOperation()->emitError("block-size must be positive");
      return signalPassFailure();
    }
    SmallVector<scf::ForallOp> tiles;
    getOperation()->walk([&](scf::ForallOp forall) {
      if (!forall->getParentOfType<scf::ForallOp>())
        tiles.push_back(forall);
    });
    for (scf::ForallOp forall : tiles)
      if (failed(mapTile(forall, blockSize)))
        return signalPassFailure();
  }
};

} // namespace
