//===- KernelEmulator.cpp - a gpu.func as a CPU function ------------------===//
//
// The kernels are phases closed by barriers, so a block runs on one CPU
// thread as loop fission at the barriers: every phase becomes a loop over
// the block's threads. Values equal over the block are computed once;
// values that vary per thread and outlive their phase get one slot per
// thread. Phases with warp-collective ops run warp by warp, split again at
// each collective step, which sees all 32 lanes at once.
//
//===----------------------------------------------------------------------===//
#include "KernelEmulator.h"

#include "Collectives.h"
#include "Uniformity.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::itq3::emulation;

namespace {


template <typename OpTy> bool contains(Operation *op) {
  return op->walk([](OpTy) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

bool isThreadIndex(Operation *op) {
  return isa_and_nonnull<gpu::ThreadIdOp, gpu::LaneIdOp>(op);
}

Type withoutGpuSpace(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !isa_and_nonnull<gpu::AddressSpaceAttr>(memref.getMemorySpace()))
    return type;
  return MemRefType::get(memref.getShape(), memref.getElementType(),
                         memref.getLayout());
}

/// How a value of `type` is kept per thread: scalars and 1-D vectors as
/// they are, n-D vectors flattened.
Type slotType(Type type) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.getRank() == 1
               ? type
               : VectorType::get({vector.getNumElements()},
                                 vector.getElementType());
  if (isa<IntegerType, FloatType, IndexType>(type))
    return type;
  return {};
}

/// What uninitialized workgroup memory reads as: NaN, or 0xA5 bytes.
TypedAttr poison(Type element) {
  if (auto f = dyn_cast<FloatType>(element))
    return FloatAttr::get(f, APFloat::getQNaN(f.getFloatSemantics()));
  unsigned bits = isa<IndexType>(element) ? 64 : element.getIntOrFloatBitWidth();
  return IntegerAttr::get(element, APInt::getSplat(bits, APInt(8, 0xA5)));
}

class KernelEmulator {
public:
  KernelEmulator(gpu::GPUFuncOp kernel, bool reverse)
      : kernel(kernel), uniformity(kernel), reverse(reverse),
        b(kernel.getContext()), allocas(kernel.getContext()) {}

  FailureOr<func::FuncOp> build(OpBuilder &at, StringRef name);

private:
  LogicalResult check();
  void fillWithPoison(Value buffer);

  // Emission of the ops of one block of the kernel at a level.
  LogicalResult emitRegion(Block &block, Level level);
  LogicalResult emitOps(ArrayRef<Operation *> ops, Level level);
  LogicalResult emitPhase(ArrayRef<Operation *> ops, Level level);
  LogicalResult emitThreads(ArrayRef<Operation *> ops, Level level);
  LogicalResult emitWarps(ArrayRef<Operation *> ops);
  LogicalResult emitUniformControl(Operation *op, Level level);
  LogicalResult emitUniformFor(scf::ForOp loop, Level level);
  LogicalResult emitUniformIf(scf::IfOp branch, Level level);
  LogicalResult emitMma(nvgpu::MmaSyncOp op);
  bool hoistable(Operation *op, Level level) const;
  bool escapesWarpPhase(Operation *op) const;

  // Values.
  FailureOr<Value> uniformValue(Value old, Level level);
  FailureOr<Value> valueAt(OpBuilder &bb, Value old, Value linear);
  Value threadIndex(OpBuilder &bb, Operation *op, Value linear);
  void mapUniform(Value old, Value value);
  void pushScope() { scopes.emplace_back(); }
  void popScope();

  // Per-thread slots.
  FailureOr<Value> slots(Value old);
  LogicalResult storeSlot(OpBuilder &bb, Value old, Value linear, Value value);
  Value loadSlot(OpBuilder &bb, Value old, Value linear);
  /// Emits for (i = 0; i < count; ++i), moves `b` into its body and returns
  /// i, or count - 1 - i with reverse-threads.
  Value enterLoop(Value count);
  /// for every thread of the level: body(linear thread id), in the order
  /// the option asks for.
  template <typename Body>
  LogicalResult forEachThread(Level level, Body body);
  LogicalResult copyToSlots(Level level, ArrayRef<std::pair<Value, Value>> moves);

  LogicalResult finish(func::FuncOp func);

  gpu::GPUFuncOp kernel;
  Uniformity uniformity;
  bool reverse;
  OpBuilder b;       // where the code being emitted goes
  OpBuilder allocas; // function entry: buffers live for the whole kernel
  IRMapping uniform; // kernel value -> its value at the current level
  SmallVector<SmallVector<Value>> scopes;
  llvm::DenseMap<Value, Value> privates;
  SmallVector<Value> workgroup;
  Value blockIds[3], gridDims[3], blockDims[3], threads, warps;
  // The warp being emitted: its first linear thread id and its lane count.
  Value warpBase, laneCount;
  Block *warpPhaseBlock = nullptr;
  llvm::SmallPtrSet<Operation *, 16> warpPhase;
};

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

LogicalResult KernelEmulator::check() {
  if (!kernel.getPrivateAttributions().empty())
    return kernel.emitError("the GPU emulation does not model private "
                            "attributions");
  if (!kernel.getBody().hasOneBlock())
    return kernel.emitError("the GPU emulation needs a kernel of structured "
                            "control flow (one block)");
  if (contains<nvgpu::MmaSyncOp>(kernel)) {
    std::optional<ArrayRef<int32_t>> known = kernel.getKnownBlockSize();
    if (!known || (*known)[0] % kWarpSize != 0 || (*known)[1] != 1 ||
        (*known)[2] != 1)
      return kernel.emitError("warp-collective ops need a known block size "
                              "of whole warps in x (known_block_size)");
  }
  return success();
}

FailureOr<func::FuncOp> KernelEmulator::build(OpBuilder &at, StringRef name) {
  if (failed(check()))
    return failure();
  Location loc = kernel.getLoc();
  SmallVector<Type> inputs;
  for (Type type : kernel.getArgumentTypes())
    inputs.push_back(withoutGpuSpace(type));
  inputs.append(6, at.getIndexType());
  auto func = func::FuncOp::create(at, loc, name,
                                   at.getFunctionType(inputs, TypeRange{}));
  func.setPrivate();
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  unsigned params = kernel.getNumArguments();
  for (unsigned i = 0; i < params; ++i)
    mapUniform(kernel.getArgument(i), entry->getArgument(i));
  for (int d = 0; d < 3; ++d) {
    gridDims[d] = entry->getArgument(params + d);
    blockDims[d] = entry->getArgument(params + 3 + d);
  }
  threads = arith::MulIOp::create(
      b, loc, arith::MulIOp::create(b, loc, blockDims[0], blockDims[1]),
      blockDims[2]);
  warps = arith::CeilDivUIOp::create(b, loc, threads, index(b, loc, kWarpSize));

  // Blocks in order z, y, x; buffers are allocated before the loops.
  Value zero = index(b, loc, 0), one = index(b, loc, 1);
  SmallVector<Value, 3> ids(3);
  scf::ForOp outer;
  for (int d = 2; d >= 0; --d) {
    auto loop = scf::ForOp::create(b, loc, zero, gridDims[d], one);
    if (!outer)
      outer = loop;
    ids[d] = loop.getInductionVar();
    b.setInsertionPointToStart(loop.getBody());
  }
  allocas.setInsertionPoint(outer);
  for (BlockArgument attribution : kernel.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(withoutGpuSpace(attribution.getType()));
    Value buffer = memref::AllocaOp::create(allocas, loc, type,
                                            allocas.getI64IntegerAttr(16));
    workgroup.push_back(buffer);
    mapUniform(attribution, buffer);
  }
  for (Value buffer : workgroup)
    fillWithPoison(buffer);
  for (int d = 0; d < 3; ++d)
    blockIds[d] = ids[d];
  if (failed(emitRegion(kernel.getBody().front(), Level::Block)))
    return failure();
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);
  if (failed(finish(func)))
    return failure();
  return func;
}

void KernelEmulator::fillWithPoison(Value buffer) {
  Location loc = kernel.getLoc();
  auto type = cast<MemRefType>(buffer.getType());
  OpBuilder::InsertionGuard guard(b);
  SmallVector<Value> at;
  for (int64_t size : type.getShape()) {
    auto loop = scf::ForOp::create(b, loc, index(b, loc, 0),
                                   index(b, loc, size), index(b, loc, 1));
    at.push_back(loop.getInductionVar());
    b.setInsertionPointToStart(loop.getBody());
  }
  Value value =
      arith::ConstantOp::create(b, loc, poison(type.getElementType()));
  memref::StoreOp::create(b, loc, value, buffer, at);
}

void KernelEmulator::mapUniform(Value old, Value value) {
  uniform.map(old, value);
  if (!scopes.empty())
    scopes.back().push_back(old);
}

void KernelEmulator::popScope() {
  for (Value old : scopes.back())
    uniform.erase(old);
  scopes.pop_back();
}

bool KernelEmulator::escapesWarpPhase(Operation *op) const {
  for (Operation *user : op->getUsers()) {
    Operation *ancestor = warpPhaseBlock->findAncestorOpInBlock(*user);
    if (!ancestor || !warpPhase.contains(ancestor))
      return true;
  }
  return false;
}

/// Computed once for the level instead of per thread: side-effect free,
/// equal over the level, and (in a warp phase) not needed after it, since
/// the next phase runs outside the warp's loop.
bool KernelEmulator::hoistable(Operation *op, Level level) const {
  if (op->getNumRegions() != 0 || op->getNumResults() == 0 ||
      !isMemoryEffectFree(op) || isThreadIndex(op) ||
      isa<nvgpu::MmaSyncOp>(op) ||
      uniformity.of(op->getResults()) > level)
    return false;
  return level == Level::Block || !escapesWarpPhase(op);
}

LogicalResult KernelEmulator::emitRegion(Block &block, Level level) {
  SmallVector<Operation *> ops;
  for (Operation &op : block.without_terminator())
    ops.push_back(&op);
  return emitOps(ops, level);
}

LogicalResult KernelEmulator::emitOps(ArrayRef<Operation *> ops, Level level) {
  SmallVector<Operation *> pending;
  auto flush = [&]() {
    LogicalResult result = emitPhase(pending, level);
    pending.clear();
    return result;
  };
  for (Operation *op : ops) {
    bool barrier = isa<gpu::BarrierOp>(op) || contains<gpu::BarrierOp>(op);
    if (barrier && level == Level::Warp)
      return op->emitError("the GPU emulation cannot place a barrier inside "
                           "control flow of warp-collective ops");
    bool collective = level == Level::Warp && contains<nvgpu::MmaSyncOp>(op);
    if (barrier || collective) {
      if (failed(flush()))
        return failure();
      if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
        if (failed(emitMma(mma)))
          return failure();
      } else if (!isa<gpu::BarrierOp>(op) &&
                 failed(emitUniformControl(op, level))) {
        return failure();
      }
      continue;
    }
    if (isThreadIndex(op))
      continue; // recomputed wherever it is used
    if (hoistable(op, level)) {
      if (failed(uniformValue(op->getResult(0), level)))
        return failure();
      continue;
    }
    pending.push_back(op);
  }
  return flush();
}

LogicalResult KernelEmulator::emitPhase(ArrayRef<Operation *> ops,
                                        Level level) {
  if (ops.empty())
    return success();
  bool collective = llvm::any_of(
      ops, [](Operation *op) { return contains<nvgpu::MmaSyncOp>(op); });
  if (level == Level::Block && collective)
    return emitWarps(ops);
  return emitThreads(ops, level);
}

Value KernelEmulator::enterLoop(Value count) {
  Location loc = kernel.getLoc();
  auto loop = scf::ForOp::create(b, loc, index(b, loc, 0), count,
                                 index(b, loc, 1));
  b.setInsertionPointToStart(loop.getBody());
  Value i = loop.getInductionVar();
  if (!reverse)
    return i;
  return arith::SubIOp::create(
      b, loc, arith::SubIOp::create(b, loc, count, index(b, loc, 1)), i);
}

template <typename Body>
LogicalResult KernelEmulator::forEachThread(Level level, Body body) {
  Location loc = kernel.getLoc();
  OpBuilder::InsertionGuard guard(b);
  Value i = enterLoop(level == Level::Block ? threads : laneCount);
  Value linear =
      level == Level::Block ? i : arith::AddIOp::create(b, loc, warpBase, i);
  return body(linear);
}

LogicalResult KernelEmulator::emitThreads(ArrayRef<Operation *> ops,
                                          Level level) {
  Block *block = ops.front()->getBlock();
  llvm::SmallPtrSet<Operation *, 16> members(ops.begin(), ops.end());
  auto inside = [&](Value value) {
    Operation *owner = value.getDefiningOp();
    if (!owner)
      owner = value.getParentBlock()->getParentOp();
    Operation *ancestor = block->findAncestorOpInBlock(*owner);
    return ancestor && members.contains(ancestor);
  };
  llvm::SetVector<Value> outside;
  for (Operation *op : ops)
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (!inside(operand))
          outside.insert(operand);
    });
  bool scoped = llvm::any_of(
      ops, [](Operation *op) { return contains<memref::AllocaOp>(op); });

  return forEachThread(level, [&](Value linear) -> LogicalResult {
    OpBuilder::InsertionGuard guard(b);
    if (scoped) {
      // A thread's allocas end with the thread, not with the kernel.
      auto scope = memref::AllocaScopeOp::create(b, kernel.getLoc(),
                                                 TypeRange{});
      Block *body = new Block();
      scope.getBodyRegion().push_back(body);
      b.setInsertionPointToStart(body);
      memref::AllocaScopeReturnOp::create(b, kernel.getLoc(), ValueRange{});
      b.setInsertionPointToStart(body);
    }
    IRMapping local;
    for (Value value : outside) {
      FailureOr<Value> at = valueAt(b, value, linear);
      if (failed(at))
        return failure();
      local.map(value, *at);
    }
    for (Operation *op : ops) {
      Operation *clone = b.clone(*op, local);
      for (auto [old, value] : llvm::zip(op->getResults(), clone->getResults()))
        if (llvm::any_of(old.getUsers(), [&](Operation *user) {
              Operation *ancestor = block->findAncestorOpInBlock(*user);
              return !ancestor || !members.contains(ancestor);
            }) &&
            failed(storeSlot(b, old, linear, value)))
          return failure();
    }
    return success();
  });
}

LogicalResult KernelEmulator::emitWarps(ArrayRef<Operation *> ops) {
  Location loc = kernel.getLoc();
  OpBuilder::InsertionGuard guard(b);
  Value w = enterLoop(warps);
  warpBase = arith::MulIOp::create(b, loc, w, index(b, loc, kWarpSize));
  laneCount = arith::MinUIOp::create(
      b, loc, index(b, loc, kWarpSize),
      arith::SubIOp::create(b, loc, threads, warpBase));
  warpPhaseBlock = ops.front()->getBlock();
  warpPhase = llvm::SmallPtrSet<Operation *, 16>(ops.begin(), ops.end());
  pushScope();
  LogicalResult result = emitOps(ops, Level::Warp);
  popScope();
  warpPhase.clear();
  warpPhaseBlock = nullptr;
  return result;
}

LogicalResult KernelEmulator::emitUniformControl(Operation *op, Level level) {
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return emitUniformFor(loop, level);
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return emitUniformIf(branch, level);
  return op->emitError("the GPU emulation splits only scf.for and scf.if "
                       "around barriers and warp-collective ops");
}

LogicalResult KernelEmulator::emitUniformFor(scf::ForOp loop, Level level) {
  const char *over = level == Level::Block ? "block" : "warp";
  SmallVector<Value, 3> bounds;
  for (Value bound :
       {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()}) {
    FailureOr<Value> value = uniformValue(bound, level);
    if (failed(value))
      return loop.emitError("a loop around a barrier or warp-collective op "
                            "needs bounds that are equal over the ")
             << over;
    bounds.push_back(*value);
  }
  // Loop-carried values vary per thread: one slot per thread, shared by the
  // iteration argument and the result.
  SmallVector<std::pair<Value, Value>> inits;
  for (auto [arg, init, result] :
       llvm::zip(loop.getRegionIterArgs(), loop.getInitArgs(),
                 loop.getResults())) {
    FailureOr<Value> slot = slots(arg);
    if (failed(slot))
      return failure();
    privates[result] = *slot;
    inits.push_back({init, arg});
  }
  if (failed(copyToSlots(level, inits)))
    return failure();
  auto emitted = scf::ForOp::create(b, loop.getLoc(), bounds[0], bounds[1],
                                    bounds[2]);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(emitted.getBody());
  pushScope();
  mapUniform(loop.getInductionVar(), emitted.getInductionVar());
  LogicalResult result = emitRegion(*loop.getBody(), level);
  SmallVector<std::pair<Value, Value>> yields;
  for (auto [value, arg] :
       llvm::zip(loop.getBody()->getTerminator()->getOperands(),
                 loop.getRegionIterArgs()))
    if (value != arg)
      yields.push_back({value, arg});
  if (succeeded(result))
    result = copyToSlots(level, yields);
  popScope();
  return result;
}

LogicalResult KernelEmulator::emitUniformIf(scf::IfOp branch, Level level) {
  FailureOr<Value> condition = uniformValue(branch.getCondition(), level);
  if (failed(condition))
    return branch.emitError("a branch around a barrier or warp-collective op "
                            "needs a condition that is equal over the ")
           << (level == Level::Block ? "block" : "warp");
  for (Value result : branch.getResults())
    if (failed(slots(result)))
      return failure();
  auto emitted = scf::IfOp::create(b, branch.getLoc(), TypeRange{}, *condition,
                                   /*withElseRegion=*/true);
  for (auto [from, to] : {std::pair{&branch.getThenRegion(),
                                    &emitted.getThenRegion()},
                          std::pair{&branch.getElseRegion(),
                                    &emitted.getElseRegion()}}) {
    if (from->empty())
      continue;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(to->front().getTerminator());
    pushScope();
    LogicalResult result = emitRegion(from->front(), level);
    SmallVector<std::pair<Value, Value>> yields;
    for (auto [value, res] : llvm::zip(from->front().getTerminator()->getOperands(),
                                       branch.getResults()))
      yields.push_back({value, res});
    if (succeeded(result))
      result = copyToSlots(level, yields);
    popScope();
    if (failed(result))
      return failure();
  }
  return success();
}

LogicalResult KernelEmulator::emitMma(nvgpu::MmaSyncOp op) {
  WarpAccess access;
  auto linear = [&](OpBuilder &bb, Value lane) -> Value {
    return arith::AddIOp::create(bb, op.getLoc(), warpBase, lane);
  };
  LogicalResult status = success();
  access.read = [&](OpBuilder &bb, Value operand, Value lane) -> Value {
    FailureOr<Value> value = valueAt(bb, operand, linear(bb, lane));
    if (failed(value)) {
      status = failure();
      return arith::ConstantOp::create(bb, op.getLoc(),
                                       bb.getZeroAttr(operand.getType()));
    }
    return *value;
  };
  access.write = [&](OpBuilder &bb, Value lane, Value fragment) {
    if (failed(storeSlot(bb, op.getRes(), linear(bb, lane), fragment)))
      status = failure();
  };
  access.scratch = [&](OpBuilder &, MemRefType type) -> Value {
    return memref::AllocaOp::create(allocas, op.getLoc(), type);
  };
  if (failed(emulateMmaSync(b, op, access)))
    return failure();
  return status;
}

FailureOr<Value> KernelEmulator::uniformValue(Value old, Level level) {
  if (Value value = uniform.lookupOrNull(old))
    return value;
  Operation *def = old.getDefiningOp();
  if (isa_and_nonnull<gpu::ThreadIdOp>(def) && level == Level::Warp)
    return threadIndex(b, def, warpBase); // lane 0 stands for the warp
  if (!def || def->getNumRegions() != 0 || !isMemoryEffectFree(def) ||
      isThreadIndex(def) || uniformity.of(old) > level)
    return failure();
  if (auto id = dyn_cast<gpu::BlockIdOp>(def)) {
    mapUniform(old, blockIds[static_cast<int>(id.getDimension())]);
    return uniform.lookup(old);
  }
  if (auto dim = dyn_cast<gpu::GridDimOp>(def)) {
    mapUniform(old, gridDims[static_cast<int>(dim.getDimension())]);
    return uniform.lookup(old);
  }
  if (auto dim = dyn_cast<gpu::BlockDimOp>(def)) {
    mapUniform(old, blockDims[static_cast<int>(dim.getDimension())]);
    return uniform.lookup(old);
  }
  IRMapping operands;
  for (Value operand : def->getOperands()) {
    FailureOr<Value> value = uniformValue(operand, level);
    if (failed(value))
      return failure();
    operands.map(operand, *value);
  }
  Operation *clone = b.clone(*def, operands);
  for (auto [from, to] : llvm::zip(def->getResults(), clone->getResults()))
    mapUniform(from, to);
  return uniform.lookup(old);
}

Value KernelEmulator::threadIndex(OpBuilder &bb, Operation *op, Value linear) {
  Location loc = op->getLoc();
  if (isa<gpu::LaneIdOp>(op))
    return arith::RemUIOp::create(bb, loc, linear, index(bb, loc, kWarpSize));
  switch (cast<gpu::ThreadIdOp>(op).getDimension()) {
  case gpu::Dimension::x:
    return arith::RemUIOp::create(bb, loc, linear, blockDims[0]);
  case gpu::Dimension::y:
    return arith::RemUIOp::create(
        bb, loc, arith::DivUIOp::create(bb, loc, linear, blockDims[0]),
        blockDims[1]);
  case gpu::Dimension::z:
    return arith::DivUIOp::create(
        bb, loc, linear,
        arith::MulIOp::create(bb, loc, blockDims[0], blockDims[1]));
  }
  llvm_unreachable("a thread id has three dimensions");
}

FailureOr<Value> KernelEmulator::valueAt(OpBuilder &bb, Value old,
                                         Value linear) {
  if (Value value = uniform.lookupOrNull(old))
    return value;
  if (isThreadIndex(old.getDefiningOp()))
    return threadIndex(bb, old.getDefiningOp(), linear);
  if (privates.count(old))
    return loadSlot(bb, old, linear);
  return emitError(old.getLoc(), "the GPU emulation lost this value: it is "
                                 "neither equal over the block nor kept "
                                 "per thread");
}

FailureOr<Value> KernelEmulator::slots(Value old) {
  if (Value buffer = privates.lookup(old))
    return buffer;
  Type slot = slotType(old.getType());
  if (!slot)
    return emitError(old.getLoc(), "the GPU emulation cannot keep a value of "
                                   "type ")
           << old.getType()
           << " per thread across a barrier or warp-collective step";
  auto type = MemRefType::get({ShapedType::kDynamic}, slot);
  Value buffer =
      memref::AllocaOp::create(allocas, old.getLoc(), type, ValueRange{threads});
  privates[old] = buffer;
  return buffer;
}

LogicalResult KernelEmulator::storeSlot(OpBuilder &bb, Value old, Value linear,
                                        Value value) {
  FailureOr<Value> buffer = slots(old);
  if (failed(buffer))
    return failure();
  Type slot = cast<MemRefType>(buffer->getType()).getElementType();
  if (slot != value.getType())
    value = vector::ShapeCastOp::create(bb, old.getLoc(), slot, value);
  memref::StoreOp::create(bb, old.getLoc(), value, *buffer, linear);
  return success();
}

Value KernelEmulator::loadSlot(OpBuilder &bb, Value old, Value linear) {
  Value value =
      memref::LoadOp::create(bb, old.getLoc(), privates.lookup(old), linear);
  if (value.getType() != old.getType())
    value = vector::ShapeCastOp::create(bb, old.getLoc(), old.getType(), value);
  return value;
}

/// slots[to] = value of `from`, for every thread of the level; all values
/// are read before any is written, so swaps between slots are safe.
LogicalResult
KernelEmulator::copyToSlots(Level level,
                            ArrayRef<std::pair<Value, Value>> moves) {
  if (moves.empty())
    return success();
  return forEachThread(level, [&](Value linear) -> LogicalResult {
    SmallVector<Value> values;
    for (auto [from, to] : moves) {
      FailureOr<Value> value = valueAt(b, from, linear);
      if (failed(value))
        return failure();
      values.push_back(*value);
    }
    for (auto [move, value] : llvm::zip(moves, values))
      if (failed(storeSlot(b, move.second, linear, value)))
        return failure();
    return success();
  });
}

/// Workgroup memory is ordinary memory here; dp4a is arithmetic; nothing of
/// the GPU dialects may be left.
LogicalResult KernelEmulator::finish(func::FuncOp func) {
  func.walk([](Operation *op) {
    for (Value result : op->getResults())
      result.setType(withoutGpuSpace(result.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(withoutGpuSpace(arg.getType()));
  });
  SmallVector<NVVM::DotAccumulate4WayOp> dots;
  func.walk([&](NVVM::DotAccumulate4WayOp op) { dots.push_back(op); });
  for (NVVM::DotAccumulate4WayOp op : dots)
    lowerDp4a(op);
  WalkResult unmodeled = func.walk([](Operation *op) {
    if (isa<gpu::GPUDialect, NVVM::NVVMDialect, nvgpu::NVGPUDialect>(
            op->getDialect())) {
      op->emitError("the GPU emulation does not model ") << op->getName();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(unmodeled.wasInterrupted());
}

} // namespace

FailureOr<func::FuncOp> mlir::itq3::emulation::emulateKernel(
    OpBuilder &b, gpu::GPUFuncOp kernel, StringRef name, bool reverseThreads) {
  return KernelEmulator(kernel, reverseThreads).build(b, name);
}
