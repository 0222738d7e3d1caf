//===- Tile.cpp - itq3.matmul_into -> scf.forall over tiles ---------------===//
#include "itq3/Transforms/Passes.h"

#include "TileLoop.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3TILE
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

/// Dimension `dim` of a memref as a static size or an SSA value.
OpFoldResult dimOf(OpBuilder &b, Location loc, Value memref, int64_t dim) {
  int64_t size = cast<MemRefType>(memref.getType()).getDimSize(dim);
  if (!ShapedType::isDynamic(size))
    return b.getIndexAttr(size);
  return memref::DimOp::create(b, loc, memref, dim).getResult();
}

/// One tiled dimension: how many tiles, and per tile its offset and size.
struct TiledDim {
  OpFoldResult total;
  int64_t tile;

  OpFoldResult count(OpBuilder &b, Location loc) const {
    if (auto size = getConstantIntValue(total))
      return b.getIndexAttr((*size + tile - 1) / tile);
    Value t = arith::ConstantIndexOp::create(b, loc, tile);
    return arith::CeilDivUIOp::create(b, loc, cast<Value>(total), t)
        .getResult();
  }
  Value offset(OpBuilder &b, Location loc, Value index) const {
    Value t = arith::ConstantIndexOp::create(b, loc, tile);
    return arith::MulIOp::create(b, loc, index, t);
  }
  /// Static when every tile is full; otherwise min(tile, total - offset).
  OpFoldResult size(OpBuilder &b, Location loc, Value offset) const {
    if (auto size = getConstantIntValue(total); size && *size % tile == 0)
      return b.getIndexAttr(tile);
    Value totalValue = getValueOrCreateConstantIndexOp(b, loc, total);
    Value rest = arith::SubIOp::create(b, loc, totalValue, offset);
    Value t = arith::ConstantIndexOp::create(b, loc, tile);
    return arith::MinSIOp::create(b, loc, t, rest).getResult();
  }
};

/// Rows [offset, offset + size) and columns [colOffset, colOffset + cols).
Value rowSlice(OpBuilder &b, Location loc, Value memref, Value offset,
               OpFoldResult size, OpFoldResult colOffset, OpFoldResult cols) {
  OpFoldResult one = b.getIndexAttr(1);
  return memref::SubViewOp::create(b, loc, memref,
                                   ArrayRef<OpFoldResult>{offset, colOffset},
                                   ArrayRef<OpFoldResult>{size, cols},
                                   ArrayRef<OpFoldResult>{one, one});
}

/// The loop over the tiles of an M x N product and, per tile, the slices
/// of its operands that every product of the tile shares.
struct Tiles {
  scf::ForallOp forall;
  Value n0;
  OpFoldResult mSize;
  int64_t rowsPerTile;
  Value x, scales, y;
};

/// Rows of `x` (and `scales`) by tileM, N by tileN, from `op`'s position.
Tiles tileLoop(OpBuilder &b, Location loc, Value x, Value scales, Value y,
               OpFoldResult rows, int64_t tileM, int64_t tileN,
               function_ref<void(Value n0, OpFoldResult nSize)> sliceWeights) {
  TiledDim m{dimOf(b, loc, x, 0), tileM};
  if (auto total = getConstantIntValue(m.total); total && *total > 0 &&
                                                 *total < tileM)
    m.tile = *total;
  TiledDim n{rows, tileN};
  OpFoldResult zero = b.getIndexAttr(0);
  Tiles t;
  t.forall = createTileLoop(b, loc, m.count(b, loc), n.count(b, loc));
  b.setInsertionPointToStart(t.forall.getBody());
  Value i = t.forall.getInductionVar(0), j = t.forall.getInductionVar(1);
  Value m0 = m.offset(b, loc, i);
  t.n0 = n.offset(b, loc, j);
  t.mSize = m.size(b, loc, m0);
  t.rowsPerTile = m.tile;
  OpFoldResult nSize = n.size(b, loc, t.n0);
  t.x = rowSlice(b, loc, x, m0, t.mSize, zero, dimOf(b, loc, x, 1));
  sliceWeights(t.n0, nSize);
  t.y = rowSlice(b, loc, y, m0, t.mSize, t.n0, nSize);
  if (scales)
    t.scales = rowSlice(b, loc, scales, m0, t.mSize, zero,
                        dimOf(b, loc, scales, 1));
  return t;
}

void tile(MatmulIntoOp op, int64_t tileM, int64_t tileN) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value w;
  Tiles t = tileLoop(b, loc, op.getInput(), op.getInputScales(), op.getResult(),
                     dimOf(b, loc, op.getWeight(), 0), tileM, tileN,
                     [&](Value n0, OpFoldResult nSize) {
                       w = rowSlice(b, loc, op.getWeight(), n0, nSize,
                                    b.getIndexAttr(0),
                                    dimOf(b, loc, op.getWeight(), 1));
                     });
  MatmulIntoOp::create(b, loc, t.x, w, t.y, t.scales, op.getFormatAttr(),
                       op.getRotationAttr(), op.getAccumulateAttr());
  op.erase();
}

/// Rows of V per product of t = x V^T: bounds that product's stage (a GPU
/// block's workgroup memory holds it beside the residual's).
constexpr int64_t kFactorRows = 8;

/// t = x V^T for the tile's rows into a stage [tile M, rank]: one product
/// per block of kFactorRows rows of V, in a loop, so that they share the
/// stage; the last block may be shorter. Returns t's [M, rank] view.
Value lowRankInputs(OpBuilder &b, Location loc, TwinMatmulIntoOp op,
                    const Tiles &t) {
  int64_t rank = op.getV().getType().getDimSize(0);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  Value stage = memref::AllocaOp::create(
      b, loc, MemRefType::get({t.rowsPerTile, rank}, b.getF32Type()));
  TiledDim blocks{b.getIndexAttr(rank), kFactorRows};
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      getValueOrCreateConstantIndexOp(b, loc, blocks.count(b, loc)),
      arith::ConstantIndexOp::create(b, loc, 1));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j0 = blocks.offset(b, loc, loop.getInductionVar());
    OpFoldResult rows = blocks.size(b, loc, j0);
    Value v = rowSlice(b, loc, op.getV(), j0, rows, zero,
                       dimOf(b, loc, op.getV(), 1));
    Value tBlock = memref::SubViewOp::create(
        b, loc, stage, ArrayRef<OpFoldResult>{zero, j0},
        ArrayRef<OpFoldResult>{t.mSize, rows}, ArrayRef<OpFoldResult>{one, one});
    MatmulIntoOp::create(b, loc, t.x, v, tBlock, t.scales, op.getFactorsAttr(),
                         RotationAttr::get(b.getContext(), Rotation::None));
  }
  return memref::SubViewOp::create(
      b, loc, stage, ArrayRef<OpFoldResult>{zero, zero},
      ArrayRef<OpFoldResult>{t.mSize, b.getIndexAttr(rank)},
      ArrayRef<OpFoldResult>{one, one});
}

/// One phase that copies `from` into `to` (same shape).
void copyPhase(OpBuilder &b, Location loc, Value from, Value to) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0),
        c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto phase = scf::ParallelOp::create(
      b, loc, ValueRange{c0, c0},
      ValueRange{memref::DimOp::create(b, loc, to, 0),
                 memref::DimOp::create(b, loc, to, 1)},
      ValueRange{c1, c1});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(phase.getBody()->getTerminator());
  ValueRange iv = phase.getInductionVars();
  memref::StoreOp::create(b, loc, memref::LoadOp::create(b, loc, from, iv), to,
                          iv);
}

/// TwinQuant's fused kernel (itq3.twin_matmul_into): per tile, t = x V^T
/// into a tile stage; then, in a tile stage of y (workgroup memory on
/// GPUs), s = t U^T for the tile's columns n0.. and s += x R^T; then the
/// one epilogue that writes y = s.
void tileTwin(TwinMatmulIntoOp op, int64_t tileM, int64_t tileN) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value r;
  OpFoldResult cols;
  Tiles t = tileLoop(b, loc, op.getInput(), op.getInputScales(), op.getResult(),
                     dimOf(b, loc, op.getResidual(), 0), tileM, tileN,
                     [&](Value n0, OpFoldResult nSize) {
                       cols = nSize;
                       r = rowSlice(b, loc, op.getResidual(), n0, nSize,
                                    b.getIndexAttr(0),
                                    dimOf(b, loc, op.getResidual(), 1));
                     });
  Value lowRank = lowRankInputs(b, loc, op, t);
  int64_t n = op.getResidual().getType().getDimSize(0);
  int64_t colsPerTile = ShapedType::isDynamic(n) ? tileN : std::min(n, tileN);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  Value sums = memref::SubViewOp::create(
      b, loc,
      memref::AllocaOp::create(
          b, loc, MemRefType::get({t.rowsPerTile, colsPerTile}, b.getF32Type())),
      ArrayRef<OpFoldResult>{zero, zero}, ArrayRef<OpFoldResult>{t.mSize, cols},
      ArrayRef<OpFoldResult>{one, one});
  LowRankExpandIntoOp::create(b, loc, lowRank, op.getUt(), t.n0, sums,
                              op.getFactorsAttr());
  MatmulIntoOp::create(b, loc, t.x, r, sums, t.scales, op.getFormatAttr(),
                       op.getRotationAttr(), b.getUnitAttr());
  copyPhase(b, loc, sums, t.y);
  op.erase();
}

struct TilePass : public mlir::itq3::impl::ITQ3TileBase<TilePass> {
  using ITQ3TileBase::ITQ3TileBase;

  void runOnOperation() override {
    if (tileM <= 0 || tileN <= 0) {
      getOperation()->emitError("tile sizes must be positive, got tile-m=")
          << int64_t(tileM) << " tile-n=" << int64_t(tileN);
      return signalPassFailure();
    }
    SmallVector<MatmulIntoOp> ops;
    getOperation()->walk([&](MatmulIntoOp op) {
      if (!op->getParentOfType<scf::ForallOp>())
        ops.push_back(op);
    });
    for (MatmulIntoOp op : ops)
      tile(op, tileM, tileN);
    SmallVector<TwinMatmulIntoOp> twins;
    getOperation()->walk([&](TwinMatmulIntoOp op) { twins.push_back(op); });
    for (TwinMatmulIntoOp op : twins) {
      // A tile's columns must start a block of U^T.
      if (tileN % 32 != 0) {
        op.emitError("twin_matmul_into needs tile-n a multiple of 32 (the "
                     "factors' blocks of U^T), got ")
            << int64_t(tileN);
        return signalPassFailure();
      }
      tileTwin(op, tileM, tileN);
    }
  }
};

} // namespace
