//===- Uniformity.h - which kernel values vary per thread -------*- C++ -*-===//
//
// The emulation computes a value once per block (or per warp) when every
// thread of the block (warp) would compute the same, and once per thread
// otherwise. This is that classification, conservative: anything that reads
// memory or has regions varies per thread.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_CONVERSION_GPUEMULATION_UNIFORMITY_H
#define ITQ3_LIB_CONVERSION_GPUEMULATION_UNIFORMITY_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::itq3::emulation {

/// Ordered: a value of a lower level is also uniform at every higher one.
enum class Level { Block = 0, Warp = 1, Thread = 2 };

class Uniformity {
public:
  explicit Uniformity(gpu::GPUFuncOp kernel);

  Level of(Value value) const;
  /// The highest level of the values.
  Level of(ValueRange values) const;

private:
  void visit(Operation *op);
  /// Whether `op` divides the thread id x by whole warps, in a block whose
  /// x dimension is whole warps: the warp index, equal over a warp.
  bool isWarpIndex(Operation *op) const;

  llvm::DenseMap<Value, Level> levels;
  int64_t knownBlockSizeX = 0;
};

} // namespace mlir::itq3::emulation

#endif // ITQ3_LIB_CONVERSION_GPUEMULATION_UNIFORMITY_H
