//===- PhaseBuilder.h - builders of parallel phases over stages -*- C++ -*-===//
//
// Shared by the passes that write the staged tile form: a phase is an
// scf.parallel over independent iterations, which the CPU runs as loops and
// --convert-itq3-to-gpu spreads over threads with a barrier after it.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_TRANSFORMS_PHASEBUILDER_H
#define ITQ3_LIB_TRANSFORMS_PHASEBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::itq3 {

class PhaseBuilder {
protected:
  PhaseBuilder(Operation *op) : b(op), loc(op->getLoc()) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value dim(Value memref, int64_t d) {
    return memref::DimOp::create(b, loc, memref, d);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }

  /// An scf.parallel over [0, ub) for each bound; `body` gets the indices.
  void parallel(ArrayRef<Value> ubs, function_ref<void(ValueRange)> body) {
    SmallVector<Value> zeros(ubs.size(), index(0)), ones(ubs.size(), index(1));
    auto loop = scf::ParallelOp::create(b, loc, zeros, ubs, ones);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVars());
  }

  /// An scf.for over [0, ub); `body` gets the index.
  void loop(Value ub, function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, index(0), ub, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  }

  /// `step(j, acc)` folded over j = 0 .. n - 1 from `init`, in an scf.for.
  Value fold(int64_t n, Value init, function_ref<Value(Value, Value)> step) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(n), index(1),
                                   ValueRange{init});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, loc, step(loop.getInductionVar(), loop.getRegionIterArg(0)));
    return loop.getResult(0);
  }

  OpBuilder b;
  Location loc;
};

} // namespace mlir::itq3

#endif // ITQ3_LIB_TRANSFORMS_PHASEBUILDER_H
