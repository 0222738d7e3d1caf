//===- BlockDecoder.h - IR that decodes packed weight bytes -----*- C++ -*-===//
//
// The only format-specific part of code generation. Every format but f16
// stores value(c) = code(c) * scale(c) with a small integer code and one
// float scale per 32 columns (ptqtp: its two trit-planes combine into one
// code m1 t1 + m2 t2 under the block's d, exactly; twla: c_mu + c_alpha t
// under the group's d), so kernels are written once against codes()
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
               Value weight, Value gridTable, Value gridWords = {},
               Value gridPositions = {});

  /// Whether `kind` is stored in the grid container (iq3, itq3_s, itq3_s64).
  static bool isGridFormat(FormatKind kind);

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

  /// Columns vectorCodes() decodes together.
  static constexpr int64_t kVectorColumns = 32;
  /// Columns blockCodes() decodes together.
  static constexpr int64_t kBlockColumns = 256;
  /// Whether vectorCodes() decodes this format: q8, q4, ptqtp, twla and the grid
  /// formats (the grid ones need `gridWords`).
  bool hasVectorCodes() const;
  /// The codes of the 32 columns col .. col + 31 of `row` as one
  /// vector<32xi8>, from vector loads of the packed bytes, shuffles and
  /// masks (grid formats: one gather of the 8 grid entries from
  /// `gridWords`); `col` must be a multiple of 32. Equal to codes() column
  /// by column. Code for CPUs (vector ops the GPU mapping does not take).
  Value vectorCodes(Value row, Value col);
  /// The same columns as vectorCodes() as f32 values (code * scale).
  Value vectorValues(Value row, Value col);
  /// Groups of 32 whose scales vectorScales() decodes together: those of
  /// one block for the grid formats (8 for 256 weights, 2 for 64), else 0
  /// (use scale()).
  int64_t vectorScaleGroups() const;
  /// The scales of the vectorScaleGroups() groups of 32 from `col` (a
  /// multiple of the block) as one vector of f32; equal to scale() group by
  /// group.
  Value vectorScales(Value row, Value col);

  /// Whether blockCodes() decodes `columns` columns of this format: the
  /// grid formats, given `gridPositions`, whole blocks of at most 256
  /// columns (one 256-block, or up to four 64-blocks).
  bool hasBlockCodes(int64_t columns) const;
  /// The codes of `columns` columns from `col` (the start of a block) as
  /// vector<32xi8>s, equal to vectorCodes() group by group, with in-register
  /// table lookups instead of gathers (AVX512-VBMI): the blocks' index bytes
  /// (up to 64) in one vector, and per byte position of the grid's
  /// 4-tuples, 4 two-source byte permutes (vpermi2b, 128 entries each) over
  /// that position's 512 entries, chosen by bit 7 of the index byte and the
  /// high index bit (one mask for all the tuples).
  SmallVector<Value> blockCodes(Value row, Value col, int64_t columns);

  /// The offset that makes this format's codes unsigned bytes where that
  /// is free or one op (q4: 8, its stored nibbles; q8: 128, the sign bit
  /// flipped); 0 for the other formats.
  int64_t codeOffset() const;
  /// The codes of vectorCodes() plus codeOffset(), as unsigned bytes; only
  /// where codeOffset() is not 0.
  Value vectorOffsetCodes(Value row, Value col);

private:
  Value constant(int64_t value);
  Value vectorGrid(Value row, Value base, Value e);
  /// q4's 32 nibbles of the group at `base` (low nibbles are columns 0..15).
  Value vectorNibbles(Value row, Value base);
  Value gridBytesAt(int64_t p, Value low, Value bit7, Value high);
  Value interleaveTuples(ArrayRef<Value> bytesAt);
  /// Byte `offset` of `row`, zero-extended to i32.
  Value byteAt(Value row, Value offset);
  /// The little-endian fp16 at byte `offset` of `row`, as f32.
  Value halfAt(Value row, Value offset);
  /// (block index * bytesPerBlock, position in the block) of `col`.
  std::pair<Value, Value> locate(Value col);

  Value codeQ8(Value row, Value base, Value e);
  Value codeQ4(Value row, Value base, Value e);
  Value codeQ3(Value row, Value base, Value e);
  Value tritAt(Value q, Value digit);
  Value splatByteAt(Value row, Value base, int64_t offset, int64_t n);
  std::pair<Value, Value> halves(Value v64);
  Value vectorTrits(Value bytes, ArrayRef<int16_t> powers);
  Value codePtqtp(Value row, Value base, Value e);
  Value vectorPtqtp(Value row, Value base, Value e);
  Value codeTwla(Value row, Value base, Value e);
  Value vectorTwla(Value row, Value base, Value e);
  std::pair<Value, Value> q3rSubBlock(Value base, Value e);
  SmallVector<Value> codesGrid(Value row, Value base, Value e);
  Value scaleGrid(Value row, Value base, Value e);

  OpBuilder &b;
  Location loc;
  FormatAttr format;
  Value weight;
  Value gridTable;
  Value gridWords;
  Value gridPositions;
};

/// A private constant memref.global with the 512x4 grid of lib/Format
/// (memref<2048xi8>), created once per module.
memref::GlobalOp getOrCreateGridTable(Operation *moduleOp);

/// The same grid as one little-endian i32 per entry (memref<512xi32>), the
/// table vectorCodes() gathers from, created once per module.
memref::GlobalOp getOrCreateGridWordTable(Operation *moduleOp);

/// The same grid by byte position of its 4-tuples (memref<4x512xi8>: row p
/// holds byte p of every entry), the tables blockCodes() permutes, created
/// once per module.
memref::GlobalOp getOrCreateGridPositionTable(Operation *moduleOp);

/// A private constant memref.global of the +-1 signs of columns 0..cols-1 for
/// a seed (memref<cols x f32>), created once per (seed, cols).
memref::GlobalOp getOrCreateSignTable(Operation *moduleOp, uint64_t seed,
                                      int64_t cols);

/// memref.get_global of `global` at the builder's position.
Value loadGlobal(OpBuilder &builder, Location loc, memref::GlobalOp global);

} // namespace mlir::itq3

#endif // ITQ3_TRANSFORMS_BLOCKDECODER_H
