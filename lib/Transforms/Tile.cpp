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

void tile(MatmulIntoOp op, int64_t tileM, int64_t tileN) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  TiledDim m{dimOf(b, loc, op.getInput(), 0), tileM};
  if (auto rows = getConstantIntValue(m.total); rows && *rows > 0 &&
                                                *rows < tileM)
    m.tile = *rows;
  TiledDim n{dimOf(b, loc, op.getWeight(), 0), tileN};
  OpFoldResult zero = b.getIndexAttr(0);

  scf::ForallOp forall =
      createTileLoop(b, loc, m.count(b, loc), n.count(b, loc));
  b.setInsertionPointToStart(forall.getBody());
  Value i = forall.getInductionVar(0), j = forall.getInductionVar(1);
  Value m0 = m.offset(b, loc, i), n0 = n.offset(b, loc, j);
  OpFoldResult mSize = m.size(b, loc, m0), nSize = n.size(b, loc, n0);
  Value x = rowSlice(b, loc, op.getInput(), m0, mSize, zero,
                     dimOf(b, loc, op.getInput(), 1));
  Value w = rowSlice(b, loc, op.getWeight(), n0, nSize, zero,
                     dimOf(b, loc, op.getWeight(), 1));
  Value y = rowSlice(b, loc, op.getResult(), m0, mSize, n0, nSize);
  Value scales;
  if (op.getInputScales())
    scales = rowSlice(b, loc, op.getInputScales(), m0, mSize, zero,
                      dimOf(b, loc, op.getInputScales(), 1));
  MatmulIntoOp::create(b, loc, x, w, y, scales, op.getFormatAttr(),
                       op.getRotationAttr());
  op.erase();
}

struct TilePass : public mlir::itq3::impl::ITQ3TileBase<TilePass> {
  using ITQ3TileBase::ITQ3TileBase;

  void runOnOperation() override {
    if (tileM <= 0 || tileN <= 0) {
      getOperation()->emitError("tile sizes must be positive, got tile-m=")
          << tileM << " tile-n=" << tileN;
      return signalPassFailure();
    }
    SmallVector<MatmulIntoOp> ops;
    getOperation()->walk([&](MatmulIntoOp op) {
      if (!op->getParentOfType<scf::ForallOp>())
        ops.push_back(op);
    });
    for (MatmulIntoOp op : ops)
      tile(op, tileM, tileN);
  }
};

} // namespace
