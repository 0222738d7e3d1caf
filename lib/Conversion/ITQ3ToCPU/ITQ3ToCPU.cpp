//===- ITQ3ToCPU.cpp - itq3 ops in staged tiles -> CPU vector code --------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_CONVERTITQ3TOCPU
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

/// sum_{e < length} lhs[lhsRow, lhsCol + e] * rhs[rhsRow, rhsCol + e]:
/// vector loads, widened (int8 to i32, f16 to f32), multiplied and reduced.
Value vectorDot(OpBuilder &b, Location loc, Value lhs, Value lhsRow,
                Value lhsCol, Value rhs, Value rhsRow, Value rhsCol,
                int64_t length) {
  Type element = cast<MemRefType>(lhs.getType()).getElementType();
  bool integer = element.isInteger(8);
  auto narrow = VectorType::get({length}, element);
  auto wide = VectorType::get(
      {length}, integer ? Type(b.getI32Type()) : Type(b.getF32Type()));
  auto load = [&](Value memref, Value row, Value col) -> Value {
    Value v = vector::LoadOp::create(b, loc, narrow, memref, ValueRange{row, col});
    if (integer)
      return arith::ExtSIOp::create(b, loc, wide, v);
    return arith::ExtFOp::create(b, loc, wide, v);
  };
  Value x = load(lhs, lhsRow, lhsCol), y = load(rhs, rhsRow, rhsCol);
  Value product = integer ? arith::MulIOp::create(b, loc, x, y).getResult()
                          : arith::MulFOp::create(b, loc, x, y).getResult();
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                     product);
}

/// dot_i8 -> one vector dot product.
void lowerDot(DotI8Op op) {
  OpBuilder b(op);
  Value sum = vectorDot(b, op.getLoc(), op.getLhs(), op.getLhsRow(),
                        op.getLhsCol(), op.getRhs(), op.getRhsRow(),
                        op.getRhsCol(), op.getLength());
  op.replaceAllUsesWith(sum);
  op.erase();
}

/// mma -> loops over the 16x8 block, a vector dot product per element.
void lowerMma(MmaOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto loop = scf::ParallelOp::create(
      b, loc, ValueRange{index(0), index(0)},
      ValueRange{index(MmaOp::kRows), index(MmaOp::kCols)},
      ValueRange{index(1), index(1)});
  b.setInsertionPoint(loop.getBody()->getTerminator());
  Value i = loop.getInductionVars()[0], j = loop.getInductionVars()[1];
  auto plus = [&](Value base, Value offset) {
    return arith::AddIOp::create(b, loc, base, offset).getResult();
  };
  Value sum = vectorDot(b, loc, op.getLhs(), plus(op.getLhsRow(), i),
                        op.getLhsCol(), op.getRhs(), plus(op.getRhsRow(), j),
                        op.getRhsCol(), op.getLength());
  SmallVector<Value> acc{plus(op.getAccRow(), i), plus(op.getAccCol(), j)};
  if (op.getAccumulate()) {
    Value old = memref::LoadOp::create(b, loc, op.getAcc(), acc);
    sum = isa<IntegerType>(sum.getType())
              ? arith::AddIOp::create(b, loc, old, sum).getResult()
              : arith::AddFOp::create(b, loc, old, sum).getResult();
  }
  memref::StoreOp::create(b, loc, sum, op.getAcc(), acc);
  op.erase();
}

/// On the CPU tiles run as loop iterations, so a tile's stage buffers
/// (also those of a branch of the tile) must go back to the stack when the
/// tile ends. (memref.alloca_scope would say
/// the same, but it must stay one block, which the later scf-to-cf lowering
/// of the loops inside it breaks.)
void releaseTileStack(scf::ForallOp forall) {
  Block *body = forall.getBody();
  bool allocates = false;
  forall.walk([&](memref::AllocaOp) { allocates = true; });
  if (!allocates)
    return;
  Location loc = forall.getLoc();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  Value stack = LLVM::StackSaveOp::create(
      b, loc, LLVM::LLVMPointerType::get(forall.getContext()));
  b.setInsertionPoint(body->getTerminator());
  LLVM::StackRestoreOp::create(b, loc, stack);
}

struct ConvertITQ3ToCPUPass
    : public mlir::itq3::impl::ConvertITQ3ToCPUBase<ConvertITQ3ToCPUPass> {
  void runOnOperation() override {
    getOperation()->walk([](DotI8Op op) { lowerDot(op); });
    getOperation()->walk([](MmaOp op) { lowerMma(op); });
    getOperation()->walk([](scf::ForallOp op) { releaseTileStack(op); });
  }
};

} // namespace
