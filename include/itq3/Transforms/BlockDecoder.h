//===- BlockDecoder.h - IR that decodes packed weight bytes -----*- C++ -*-===//
//
// The only format-specific part of code generation. Every format but f16
// stores value(c) = code(c) * scale(c) with a small integer code and one
// float scale per 32 columns, so kernels are written once against codes()
// and scale(); f16 has values() only. The byte layouts are those documented in
// include/itq3/Format/Codec.h and implemented by lib/Format.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TRANSFORMS_BLOCKDECODER_H
#define ITQ3_TRANSFORMS_BLOCKDECODER_H

#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::itq3 {

class BlockDecoder {
public:
  /// `weight` is the packed bytes [rows, rowBytes]. Grid formats need the
  /// module to hold the grid table: see getOrCreateGridTable.
  BlockDecoder(OpBuilder &builder, Location loc, FormatAttr format,
               Value weight, Value gridTable);

  /// Columns that codes() and values() decode together: 4 for the grid
  /// formats, whose 4-tuples share a grid index and a byte of signs, else 1.
  int64_t columnsPerStep() const;
  /// The integer codes (i32, |code| <= 127) of columns col ..
  /// col + columnsPerStep() - 1 of `row`; `col` must be a multiple of
  /// columnsPerStep().
  SmallVector<Value> codes(Value row, Value col);
  /// The scale of the 32 columns that hold `col` (f32).
  Value scale(Value row, Value col);
  /// The decoded values of the same columns as codes(): code * scale, or
  /// the f16 value (f32).
  SmallVector<Value> values(Value row, Value col);

private:
  Value constant(int64_t value);
  /// Byte `offset` of `row`, zero-extended to i32.
  Value byteAt(Value row, Value offset);
  /// The little-endian fp16 at byte `offset` of `row`, as f32.
  Value halfAt(Value row, Value offset);
  /// (block index * bytesPerBlock, position in the block) of `col`.
  std::pair<Value, Value> locate(Value col);

  Value codeQ8(Value row, Value base, Value e);
  Value codeQ4(Value row, Value base, Value e);
  Value codeQ3(Value row, Value base, Value e);
  std::pair<Value, Value> q3rSubBlock(Value base, Value e);
  SmallVector<Value> codesGrid(Value row, Value base, Value e);
  Value scaleGrid(Value row, Value base, Value e);

  OpBuilder &b;
  Location loc;
  FormatAttr format;
  Value weight;
  Value gridTable;
};

/// A private constant memref.global with the 512x4 grid of lib/Format
/// (memref<2048xi8>), created once per module.
memref::GlobalOp getOrCreateGridTable(Operation *moduleOp);

/// A private constant memref.global of the +-1 signs of columns 0..cols-1 for
/// a seed (memref<cols x f32>), created once per (seed, cols).
memref::GlobalOp getOrCreateSignTable(Operation *moduleOp, uint64_t seed,
                                      int64_t cols);

/// memref.get_global of `global` at the builder's position.
Value loadGlobal(OpBuilder &builder, Location loc, memref::GlobalOp global);

} // namespace mlir::itq3

#endif // ITQ3_TRANSFORMS_BLOCKDECODER_H
