//===- TileLoop.h - the loop over a kernel's tiles --------------*- C++ -*-===//
#ifndef ITQ3_LIB_TRANSFORMS_TILELOOP_H
#define ITQ3_LIB_TRANSFORMS_TILELOOP_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::itq3 {

/// An scf.forall over the tiles of a kernel, [tiles of M, tiles of N], mapped
/// to GPU blocks with N on x (as --convert-itq3-to-gpu lays out the grid).
/// The mapping also keeps the canonicalizer from folding a loop of a single
/// tile into the code around it, which on GPUs is host code.
inline scf::ForallOp createTileLoop(OpBuilder &b, Location loc,
                                    OpFoldResult rowTiles,
                                    OpFoldResult colTiles) {
  MLIRContext *context = b.getContext();
  auto blocks = b.getArrayAttr(
      {gpu::GPUBlockMappingAttr::get(context, gpu::MappingId::DimY),
       gpu::GPUBlockMappingAttr::get(context, gpu::MappingId::DimX)});
  return scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{rowTiles, colTiles},
                               ValueRange{}, blocks);
}

} // namespace mlir::itq3

#endif // ITQ3_LIB_TRANSFORMS_TILELOOP_H
