//===- FuseInverseFWHT.cpp - itq3.stage_fwht -> butterfly phases ----------===//
//
// The FWHT of a staged tile runs where the tile is, in its stage buffer
// (shared memory on GPUs): log2(n) butterfly stages for rows of n (8 for
// 256, 6 for 64), each a phase, so that the
// GPU mapping puts a barrier between stages and no warp reads a value
// another warp has not written yet.
//
//===----------------------------------------------------------------------===//
#include "itq3/Transforms/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "PhaseBuilder.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3FUSEINVERSEFWHT
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

class ButterflyLowering : public PhaseBuilder {
public:
  explicit ButterflyLowering(StageFWHTOp op) : PhaseBuilder(op), op(op) {}

  /// Stage s (stride 2^s) is one phase over (row, pair): u + v, u - v.
  void run() {
    Value buffer = op.getBuffer();
    int64_t width = op.getBuffer().getType().getDimSize(1); // 64 or 256
    for (int64_t half = 1; half < width; half *= 2) {
      parallel({op.getRows(), index(width / 2)}, [&](ValueRange iv) {
        Value pair = iv[1];
        // lo = (pair / half) * 2 * half + pair % half
        Value lo = add(mul(arith::DivUIOp::create(b, loc, pair, index(half)),
                           index(2 * half)),
                       arith::RemUIOp::create(b, loc, pair, index(half)));
        Value hi = add(lo, index(half));
        Value u = memref::LoadOp::create(b, loc, buffer, ValueRange{iv[0], lo});
        Value v = memref::LoadOp::create(b, loc, buffer, ValueRange{iv[0], hi});
        memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, u, v),
                                buffer, ValueRange{iv[0], lo});
        memref::StoreOp::create(b, loc, arith::SubFOp::create(b, loc, u, v),
                                buffer, ValueRange{iv[0], hi});
      });
    }
    op.erase();
  }

private:
  StageFWHTOp op;
};

struct FuseInverseFWHTPass
    : public mlir::itq3::impl::ITQ3FuseInverseFWHTBase<FuseInverseFWHTPass> {
  void runOnOperation() override {
    SmallVector<StageFWHTOp> ops;
    getOperation()->walk([&](StageFWHTOp op) { ops.push_back(op); });
    for (StageFWHTOp op : ops)
      ButterflyLowering(op).run();
  }
};

} // namespace
