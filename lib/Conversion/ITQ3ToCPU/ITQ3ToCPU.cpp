//===- ITQ3ToCPU.cpp - itq3 ops in staged tiles -> CPU vector code --------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"

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

struct ConvertITQ3ToCPUPass
    : public mlir::itq3::impl::ConvertITQ3ToCPUBase<ConvertITQ3ToCPUPass> {
  void runOnOperation() override {
    getOperation()->walk([](DotI8Op op) { lowerDot(op); });
  }
};

} // namespace
