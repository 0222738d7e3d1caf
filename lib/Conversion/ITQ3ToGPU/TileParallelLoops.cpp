//===- TileParallelLoops.cpp - threads for the model ops' parallel loops --===//
//
// The model ops (norms, rotary, attention, residuals, SwiGLU, the lookup)
// are scf.parallel loops on the host. Mapped as they are, every iteration
// is a block of one thread. Tiled here, the last dimension's iterations run
// as the threads of a block (the inner loop of the tile, which
// --gpu-map-parallel-loops maps to threads), the tiles as blocks.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3TILEPARALLELLOOPS
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;

namespace {

/// CUDA allows at most 64 threads in z, where a third dimension goes.
constexpr int64_t kMaxThreadsZ = 64;

struct ITQ3TileParallelLoopsPass
    : public mlir::itq3::impl::ITQ3TileParallelLoopsBase<
          ITQ3TileParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          !loop->getParentOfType<gpu::LaunchOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops) {
      size_t rank = loop.getNumLoops();
      if (rank > 3)
        continue; // the mapping runs such loops sequentially anyway
      int64_t tile = rank == 3 ? std::min<int64_t>(threads, kMaxThreadsZ)
                               : int64_t(threads);
      // A small constant trip count (heads, a head's columns) needs no
      // more threads than it has iterations.
      if (auto bound =
              getConstantIntValue(loop.getUpperBound().back()))
        tile = std::min(tile, std::max<int64_t>(*bound, 1));
      if (tile <= 1)
        continue;
      SmallVector<int64_t> sizes(rank, 1);
      sizes.back() = tile;
      scf::tileParallelLoop(loop, sizes, /*noMinMaxBounds=*/true);
    }
  }
};

} // namespace
