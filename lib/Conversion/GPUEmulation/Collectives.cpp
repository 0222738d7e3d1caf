//===- Collectives.cpp - dp4a and mma.sync as CPU code --------------------===//
#include "Collectives.h"

#include "Fragments.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::itq3::emulation;

namespace {


Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// groupID * c.group + threadID_in_group * c.thread + c.offset.
Value coordinate(OpBuilder &b, Location loc, Value group, Value thread,
                 const Coefficients &c) {
  Value at = index(b, loc, c.offset);
  if (c.group)
    at = arith::AddIOp::create(
        b, loc, at, arith::MulIOp::create(b, loc, group, index(b, loc, c.group)));
  if (c.thread)
    at = arith::AddIOp::create(
        b, loc, at,
        arith::MulIOp::create(b, loc, thread, index(b, loc, c.thread)));
  return at;
}

/// for lane in 0..32: body(lane, groupID, threadID_in_group).
template <typename Body>
void forEachLane(OpBuilder &b, Location loc, Body body) {
  auto loop = scf::ForOp::create(b, loc, index(b, loc, 0),
                                 index(b, loc, kWarpSize), index(b, loc, 1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value lane = loop.getInductionVar();
  Value group = arith::DivUIOp::create(b, loc, lane, index(b, loc, 4));
  Value thread = arith::RemUIOp::create(b, loc, lane, index(b, loc, 4));
  body(lane, group, thread);
}

/// Every lane's fragment of `operand` into `matrix` at its place.
void gather(OpBuilder &b, Location loc, Value operand,
            const FragmentLayout &layout, Value matrix,
            const WarpAccess &access) {
  forEachLane(b, loc, [&](Value lane, Value group, Value thread) {
    Value fragment = access.read(b, operand, lane);
    for (int64_t i = 0; i < layout.elements(); ++i) {
      ElementPlace place = layout.place(i);
      Value element = vector::ExtractOp::create(
          b, loc, fragment,
          ArrayRef<int64_t>{i / layout.perRegister, i % layout.perRegister});
      memref::StoreOp::create(
          b, loc, element, matrix,
          ValueRange{coordinate(b, loc, group, thread, place.row),
                     coordinate(b, loc, group, thread, place.col)});
    }
  });
}

/// Every lane's fragment of `matrix`, handed to access.write.
void scatter(OpBuilder &b, Location loc, Value matrix, VectorType type,
             const FragmentLayout &layout, const WarpAccess &access) {
  forEachLane(b, loc, [&](Value lane, Value group, Value thread) {
    Value fragment = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
    for (int64_t i = 0; i < layout.elements(); ++i) {
      ElementPlace place = layout.place(i);
      Value element = memref::LoadOp::create(
          b, loc, matrix,
          ValueRange{coordinate(b, loc, group, thread, place.row),
                     coordinate(b, loc, group, thread, place.col)});
      fragment = vector::InsertOp::create(
          b, loc, element, fragment,
          ArrayRef<int64_t>{i / layout.perRegister, i % layout.perRegister});
    }
    access.write(b, lane, fragment);
  });
}

/// One element of D: C[m][n] + sum over k of A[m][k] * B[k][n].
Value dotElement(OpBuilder &b, Location loc, MmaKind kind, Value a, Value bm,
                 Value c, Value m, Value n, int64_t k) {
  bool integer = kind == MmaKind::S8S32;
  Type wide = integer ? Type(b.getI64Type()) : Type(b.getF32Type());
  Value init = memref::LoadOp::create(b, loc, c, ValueRange{m, n});
  if (integer)
    init = arith::ExtSIOp::create(b, loc, wide, init);
  auto loop = scf::ForOp::create(b, loc, index(b, loc, 0), index(b, loc, k),
                                 index(b, loc, 1), ValueRange{init});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value e = loop.getInductionVar();
    Value x = memref::LoadOp::create(b, loc, a, ValueRange{m, e});
    Value y = memref::LoadOp::create(b, loc, bm, ValueRange{e, n});
    Value sum = loop.getRegionIterArg(0);
    if (integer) {
      x = arith::ExtSIOp::create(b, loc, wide, x);
      y = arith::ExtSIOp::create(b, loc, wide, y);
      sum = arith::AddIOp::create(b, loc, sum,
                                  arith::MulIOp::create(b, loc, x, y));
    } else {
      x = arith::ExtFOp::create(b, loc, wide, x);
      y = arith::ExtFOp::create(b, loc, wide, y);
      sum = arith::AddFOp::create(b, loc, sum,
                                  arith::MulFOp::create(b, loc, x, y));
    }
    scf::YieldOp::create(b, loc, sum);
  }
  Value sum = loop.getResult(0);
  if (!integer)
    return sum;
  // .satfinite: the exact sum clamped to the s32 range.
  auto limit = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  };
  sum = arith::MaxSIOp::create(b, loc, sum, limit(INT32_MIN));
  sum = arith::MinSIOp::create(b, loc, sum, limit(INT32_MAX));
  return arith::TruncIOp::create(b, loc, b.getI32Type(), sum);
}

/// D = A * B + C over the warp's matrices, D written over C.
void multiply(OpBuilder &b, Location loc, MmaKind kind, Value a, Value bm,
              Value c, int64_t k) {
  auto rows = scf::ForOp::create(b, loc, index(b, loc, 0), index(b, loc, 16),
                                 index(b, loc, 1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(rows.getBody());
  auto cols = scf::ForOp::create(b, loc, index(b, loc, 0), index(b, loc, 8),
                                 index(b, loc, 1));
  b.setInsertionPointToStart(cols.getBody());
  Value m = rows.getInductionVar(), n = cols.getInductionVar();
  Value d = dotElement(b, loc, kind, a, bm, c, m, n, k);
  memref::StoreOp::create(b, loc, d, c, ValueRange{m, n});
}

std::optional<MmaKind> kindOf(nvgpu::MmaSyncOp op) {
  std::array<int64_t, 3> shape = op.getMmaShapeAsArray();
  Type a = op.getMatrixA().getType().getElementType();
  Type c = op.getMatrixC().getType().getElementType();
  if (shape == std::array<int64_t, 3>{16, 8, 32} && a.isInteger(8) &&
      c.isInteger(32))
    return MmaKind::S8S32;
  if (shape == std::array<int64_t, 3>{16, 8, 16} && a.isF16() && c.isF32())
    return MmaKind::F16F32;
  return std::nullopt;
}

/// The fragment vectors must have the register shape the layout describes.
bool matches(VectorType type, const FragmentLayout &layout) {
  return type.getRank() == 2 && type.getDimSize(0) == layout.registers &&
         type.getDimSize(1) == layout.perRegister;
}

} // namespace

void mlir::itq3::emulation::lowerDp4a(NVVM::DotAccumulate4WayOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto words = VectorType::get({4}, b.getI32Type());
  auto widen = [&](Value bytes, NVVM::DotAccumulateType type) -> Value {
    if (type == NVVM::DotAccumulateType::SIGNED)
      return arith::ExtSIOp::create(b, loc, words, bytes);
    return arith::ExtUIOp::create(b, loc, words, bytes);
  };
  Value products = arith::MulIOp::create(b, loc, widen(op.getA(), op.getAType()),
                                         widen(op.getB(), op.getBType()));
  Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                          products);
  op.replaceAllUsesWith(arith::AddIOp::create(b, loc, sum, op.getC()).getResult());
  op.erase();
}

LogicalResult mlir::itq3::emulation::emulateMmaSync(OpBuilder &b,
                                                    nvgpu::MmaSyncOp op,
                                                    const WarpAccess &access) {
  std::optional<MmaKind> kind = kindOf(op);
  if (!kind || op.getTf32EnabledAttr())
    return op.emitError("the GPU emulation models mma.sync m16n8k32 s8 -> s32 "
                        "and m16n8k16 f16 -> f32 only");
  MmaLayouts layouts = mmaLayouts(*kind);
  if (!matches(op.getMatrixA().getType(), layouts.a) ||
      !matches(op.getMatrixB().getType(), layouts.b) ||
      !matches(op.getMatrixC().getType(), layouts.c))
    return op.emitError("mma.sync fragments do not have the register shape "
                        "of the PTX ISA layout");
  Location loc = op.getLoc();
  auto matrix = [&](const FragmentLayout &layout, Value operand) {
    Type element = cast<VectorType>(operand.getType()).getElementType();
    return access.scratch(b, MemRefType::get({layout.rows, layout.cols}, element));
  };
  Value a = matrix(layouts.a, op.getMatrixA());
  Value bm = matrix(layouts.b, op.getMatrixB());
  Value c = matrix(layouts.c, op.getMatrixC());
  gather(b, loc, op.getMatrixA(), layouts.a, a, access);
  gather(b, loc, op.getMatrixB(), layouts.b, bm, access);
  gather(b, loc, op.getMatrixC(), layouts.c, c, access);
  multiply(b, loc, *kind, a, bm, c, layouts.a.cols);
  scatter(b, loc, c, cast<VectorType>(op.getRes().getType()), layouts.c,
          access);
  return success();
}
