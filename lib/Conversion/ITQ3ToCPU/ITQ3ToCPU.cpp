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

/// dot_i8 -> load, sign-extend, multiply, reduce.
void lowerDot(DotI8Op op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  int64_t length = op.getLength();
  auto bytes = VectorType::get({length}, b.getI8Type());
  auto words = VectorType::get({length}, b.getI32Type());
  auto load = [&](Value memref, Value row, Value col) {
    Value v = vector::LoadOp::create(b, loc, bytes, memref, ValueRange{row, col});
    return arith::ExtSIOp::create(b, loc, words, v);
  };
  Value product = arith::MulIOp::create(
      b, loc, load(op.getLhs(), op.getLhsRow(), op.getLhsCol()),
      load(op.getRhs(), op.getRhsRow(), op.getRhsCol()));
  Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                          product);
  op.replaceAllUsesWith(sum);
  op.erase();
}

/// On the CPU tiles run as loop iterations, so a tile's stage buffers must
/// go back to the stack when the tile ends. (memref.alloca_scope would say
/// the same, but it must stay one block, which the later scf-to-cf lowering
/// of the loops inside it breaks.)
void releaseTileStack(scf::ForallOp forall) {
  Block *body = forall.getBody();
  if (body->getOps<memref::AllocaOp>().empty())
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
    getOperation()->walk([](scf::ForallOp op) { releaseTileStack(op); });
  }
};

} // namespace
