//===- BlockDecoder.cpp - IR that decodes packed weight bytes -------------===//
#include "itq3/Transforms/BlockDecoder.h"

#include "itq3/Format/FWHT.h"
#include "itq3/Format/Grid.h"
#include "itq3/Format/GridCodec.h"
#include "itq3/Format/PtqtpLayout.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <numeric>

using namespace mlir;
using namespace mlir::itq3;

/// The field offsets of the grid container of `format`'s block.
static ::itq3::format::GridLayout gridLayout(FormatAttr format) {
  return {int(format.getBlockSize())};
}
// Bytes of one q3 block of 32 (fp16 scale + 12 bytes of 3-bit codes).
static constexpr int64_t kQ3Bytes = 14;
// Bytes of a twla group before its trits (fp16 d, c_mu, c_alpha).
static constexpr int64_t kTwlaScaleBytes = 4;

BlockDecoder::BlockDecoder(OpBuilder &builder, Location loc, FormatAttr format,
                           Value weight, Value gridTable, Value gridWords,
                           Value gridPositions)
    : b(builder), loc(loc), format(format), weight(weight),
      gridTable(gridTable), gridWords(gridWords),
      gridPositions(gridPositions) {}

Value BlockDecoder::constant(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value BlockDecoder::byteAt(Value row, Value offset) {
  Value byte = memref::LoadOp::create(b, loc, weight, ValueRange{row, offset});
  return arith::ExtUIOp::create(b, loc, b.getI32Type(), byte);
}

Value BlockDecoder::halfAt(Value row, Value offset) {
  Value lo = byteAt(row, offset);
  Value hi = byteAt(row, arith::AddIOp::create(b, loc, offset, constant(1)));
  Value bits = arith::OrIOp::create(
      b, loc, lo,
      arith::ShLIOp::create(b, loc, hi,
                            arith::ConstantIntOp::create(b, loc, b.getI32Type(), 8)));
  Value half = arith::BitcastOp::create(
      b, loc, b.getF16Type(),
      arith::TruncIOp::create(b, loc, b.getI16Type(), bits));
  return arith::ExtFOp::create(b, loc, b.getF32Type(), half);
}

std::pair<Value, Value> BlockDecoder::locate(Value col) {
  Value block = constant(format.getBlockSize());
  Value base = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, col, block),
      constant(format.getBytesPerBlock()));
  return {base, arith::RemUIOp::create(b, loc, col, block)};
}

/// i32 helpers, kept short because decode code is all shifts and masks.
namespace {
struct I32 {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value shr(Value v, Value s) { return arith::ShRUIOp::create(b, loc, v, s); }
  Value shl(Value v, Value s) { return arith::ShLIOp::create(b, loc, v, s); }
  Value band(Value v, int64_t m) { return arith::AndIOp::create(b, loc, v, c(m)); }
  Value bor(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value fromIndex(Value v) {
    return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), v);
  }
  Value toIndex(Value v) {
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
  }
};
} // namespace

// q8: fp16 d, int8 q[32].
Value BlockDecoder::codeQ8(Value row, Value base, Value e) {
  Value offset = arith::AddIOp::create(
      b, loc, base, arith::AddIOp::create(b, loc, e, constant(2)));
  Value byte = memref::LoadOp::create(b, loc, weight, ValueRange{row, offset});
  return arith::ExtSIOp::create(b, loc, b.getI32Type(), byte);
}

// q4: fp16 d, then weight e < 16 in the low nibble of byte e, weight e >= 16
// in the high nibble of byte e - 16; code = nibble - 8.
Value BlockDecoder::codeQ4(Value row, Value base, Value e) {
  I32 i{b, loc};
  Value e32 = i.fromIndex(e);
  Value offset = arith::AddIOp::create(
      b, loc, base,
      i.toIndex(i.add(i.band(e32, 15), i.c(2))));
  Value shift = i.shl(i.shr(e32, i.c(4)), i.c(2)); // 0 or 4
  return i.sub(i.band(i.shr(byteAt(row, offset), shift), 15), i.c(8));
}

// q3: fp16 d, then 3-bit codes as a little-endian bit stream; code = 2q - 7.
// A code never crosses past byte 11, so the second byte is clamped there.
Value BlockDecoder::codeQ3(Value row, Value base, Value e) {
  I32 i{b, loc};
  Value bit = i.mul(i.fromIndex(e), i.c(3));
  Value byte = i.shr(bit, i.c(3));
  Value next = arith::MinUIOp::create(b, loc, i.add(byte, i.c(1)), i.c(11));
  auto at = [&](Value k) {
    return byteAt(row, arith::AddIOp::create(b, loc, base,
                                             i.toIndex(i.add(k, i.c(2)))));
  };
  Value pair = i.bor(at(byte), i.shl(at(next), i.c(8)));
  Value q = i.band(i.shr(pair, i.band(bit, 7)), 7);
  return i.sub(i.shl(q, i.c(1)), i.c(7));
}

// Grid container: each 4-tuple has a 9-bit index (qs low byte, qh high bit)
// into the grid of magnitudes; each weight has an explicit sign bit. The
// tuple starting at weight e (a multiple of 4) shares its index and its
// byte of signs, so they are read once for the 4 codes.
SmallVector<Value> BlockDecoder::codesGrid(Value row, Value base, Value e) {
  I32 i{b, loc};
  Value e32 = i.fromIndex(e);
  auto at = [&](int64_t field, Value k) {
    return byteAt(row, arith::AddIOp::create(
                           b, loc, base, i.toIndex(i.add(k, i.c(field)))));
  };
  Value tuple = i.shr(e32, i.c(2));
  ::itq3::format::GridLayout layout = gridLayout(format);
  Value high = i.band(i.shr(at(layout.qh(), i.shr(tuple, i.c(3))), i.band(tuple, 7)), 1);
  Value index = i.bor(at(layout.qs(), tuple), i.shl(high, i.c(8)));
  Value entry = i.shl(index, i.c(2));
  Value signs = i.shr(at(layout.signs(), i.shr(e32, i.c(3))), i.band(e32, 7));
  SmallVector<Value> codes;
  for (int64_t j = 0; j < 4; ++j) {
    Value magnitude = arith::ExtUIOp::create(
        b, loc, b.getI32Type(),
        memref::LoadOp::create(b, loc, gridTable,
                               ValueRange{i.toIndex(i.add(entry, i.c(j)))}));
    Value sign = i.band(i.shr(signs, i.c(j)), 1);
    // (1 - 2 * sign) * magnitude
    codes.push_back(i.mul(i.sub(i.c(1), i.shl(sign, i.c(1))), magnitude));
  }
  return codes;
}

// Digit k (i32, 0..4) of the base-3 byte q (i32) as a trit: ((q * 3^k) mod
// 256) * 3 >> 8, minus 1.
Value BlockDecoder::tritAt(Value q, Value digit) {
  namespace pt = ::itq3::format::ptqtp;
  I32 i{b, loc};
  Type i64 = b.getI64Type();
  // 3^k for k = 0..4 as the bytes of one word: 3^k = word >> 8k & 255.
  int64_t powers = 0;
  for (int k = 0; k < pt::kTritsPerByte; ++k)
    powers |= int64_t(pt::pow3(k)) << (8 * k);
  Value shift = arith::ExtUIOp::create(b, loc, i64, i.shl(digit, i.c(3)));
  Value power = arith::TruncIOp::create(
      b, loc, b.getI32Type(),
      arith::ShRUIOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, i64, powers), shift));
  Value fraction = i.band(i.mul(q, i.band(power, 255)), 255);
  return i.sub(i.shr(i.mul(fraction, i.c(3)), i.c(8)), i.c(1));
}

// ptqtp: fp16 d, m1, m2, then per group of 32 columns 13 bytes of base-3
// trits (PtqtpLayout.h). Column c of the group has t1 at trit c and t2 at
// trit c + 32; trit s is digit s / 13 of byte s % 13, and digit k of a byte
// q is ((q * 3^k) mod 256) * 3 >> 8. code = m1 t1 + m2 t2.
Value BlockDecoder::codePtqtp(Value row, Value base, Value e) {
  namespace pt = ::itq3::format::ptqtp;
  I32 i{b, loc};
  Value e32 = i.fromIndex(e);
  Value column = i.band(e32, pt::kGroup - 1);
  Value group = i.add(i.fromIndex(base),
                      i.add(i.c(pt::kScaleBytes),
                            i.mul(i.shr(e32, i.c(5)), i.c(pt::kGroupBytes))));
  auto trit = [&](Value s) {
    Value q = byteAt(row, i.toIndex(i.add(group, arith::RemUIOp::create(
                                                     b, loc, s, i.c(pt::kGroupBytes)))));
    return tritAt(q, arith::DivUIOp::create(b, loc, s, i.c(pt::kGroupBytes)));
  };
  Value m1 = byteAt(row, arith::AddIOp::create(b, loc, base, constant(2)));
  Value m2 = byteAt(row, arith::AddIOp::create(b, loc, base, constant(3)));
  return i.add(i.mul(m1, trit(column)),
               i.mul(m2, trit(i.add(column, i.c(pt::kGroup)))));
}

// twla: fp16 d, int8 c_mu, int8 c_alpha, then 13 bytes of base-3 trits,
// trit e at digit e % 5 of byte e / 5 (Twla.h); code = c_mu + c_alpha t.
Value BlockDecoder::codeTwla(Value row, Value base, Value e) {
  namespace pt = ::itq3::format::ptqtp;
  I32 i{b, loc};
  Value e32 = i.fromIndex(e);
  Value q = byteAt(row, arith::AddIOp::create(
                            b, loc, base,
                            i.toIndex(i.add(i.c(kTwlaScaleBytes),
                                            arith::DivUIOp::create(
                                                b, loc, e32, i.c(pt::kTritsPerByte))))));
  Value t = tritAt(q, arith::RemUIOp::create(b, loc, e32, i.c(pt::kTritsPerByte)));
  auto signedByte = [&](int64_t offset) {
    Value byte = memref::LoadOp::create(
        b, loc, weight,
        ValueRange{row, arith::AddIOp::create(b, loc, base, constant(offset))});
    return arith::ExtSIOp::create(b, loc, b.getI32Type(), byte);
  };
  return i.add(signedByte(2), i.mul(signedByte(3), t));
}

// Grid container: d * (2l + 1) with the 4-bit l of the sub-block of e.
Value BlockDecoder::scaleGrid(Value row, Value base, Value e) {
  I32 i{b, loc};
  Value sub = i.shr(i.fromIndex(e), i.c(5));
  Value byte = byteAt(row, arith::AddIOp::create(
                               b, loc, base,
                               i.toIndex(i.add(i.shr(sub, i.c(1)),
                                               i.c(gridLayout(format).scales())))));
  Value l = i.band(i.shr(byte, i.shl(i.band(sub, 1), i.c(2))), 15);
  Value odd = i.add(i.shl(l, i.c(1)), i.c(1));
  Value d = halfAt(row, base);
  return arith::MulFOp::create(
      b, loc, d, arith::SIToFPOp::create(b, loc, b.getF32Type(), odd));
}

// q3r: eight q3 blocks of 32 per 256; the q3 block of e and e within it.
std::pair<Value, Value> BlockDecoder::q3rSubBlock(Value base, Value e) {
  Value sub = arith::DivUIOp::create(b, loc, e, constant(32));
  Value subBase = arith::AddIOp::create(
      b, loc, base, arith::MulIOp::create(b, loc, sub, constant(kQ3Bytes)));
  return {subBase, arith::RemUIOp::create(b, loc, e, constant(32))};
}

bool BlockDecoder::isGridFormat(FormatKind kind) {
  return kind == FormatKind::IQ3 || kind == FormatKind::ITQ3S ||
         kind == FormatKind::ITQ3S64;
}

int64_t BlockDecoder::columnsPerStep() const {
  return isGridFormat(format.getKind()) ? 4 : 1;
}

SmallVector<Value> BlockDecoder::codes(Value row, Value col) {
  auto [base, e] = locate(col);
  switch (format.getKind()) {
  case FormatKind::Q8:
    return {codeQ8(row, base, e)};
  case FormatKind::Q4:
    return {codeQ4(row, base, e)};
  case FormatKind::Q3:
    return {codeQ3(row, base, e)};
  case FormatKind::Q3R: {
    auto [subBase, inSub] = q3rSubBlock(base, e);
    return {codeQ3(row, subBase, inSub)};
  }
  case FormatKind::IQ3:
  case FormatKind::ITQ3S:
  case FormatKind::ITQ3S64:
    return codesGrid(row, base, e);
  case FormatKind::PTQTP:
    return {codePtqtp(row, base, e)};
  case FormatKind::TWLA:
    return {codeTwla(row, base, e)};
  case FormatKind::F16:
    break;
  }
  llvm_unreachable("f16 has no integer code");
}

Value BlockDecoder::scale(Value row, Value col) {
  auto [base, e] = locate(col);
  switch (format.getKind()) {
  case FormatKind::Q8:
  case FormatKind::Q4:
  case FormatKind::Q3:
  case FormatKind::PTQTP: // one d per 128: every group of 32 repeats it
  case FormatKind::TWLA:  // one d per 64
    return halfAt(row, base);
  case FormatKind::Q3R:
    return halfAt(row, q3rSubBlock(base, e).first);
  case FormatKind::IQ3:
  case FormatKind::ITQ3S:
  case FormatKind::ITQ3S64:
    return scaleGrid(row, base, e);
  case FormatKind::F16:
    break;
  }
  llvm_unreachable("f16 has no scale");
}

SmallVector<Value> BlockDecoder::values(Value row, Value col) {
  if (format.getKind() == FormatKind::F16)
    return {halfAt(row, arith::MulIOp::create(b, loc, col, constant(2)))};
  // The columns of one step lie in one group of 32, so they share a scale.
  Value groupScale = scale(row, col);
  SmallVector<Value> result;
  for (Value code : codes(row, col))
    result.push_back(arith::MulFOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), code),
        groupScale));
  return result;
}

namespace {
/// Vector helpers of vectorCodes(): constants and element-wise ops.
struct Vec {
  OpBuilder &b;
  Location loc;
  template <typename T> Value c(Type element, ArrayRef<T> values) {
    auto type = VectorType::get({int64_t(values.size())}, element);
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, values));
  }
  Value splat8(int64_t n, int8_t v) {
    return c(b.getI8Type(), ArrayRef<int8_t>(SmallVector<int8_t>(n, v)));
  }
  Value load(Value memref, int64_t n, Value row, Value offset) {
    return vector::LoadOp::create(b, loc, VectorType::get({n}, b.getI8Type()),
                                  memref, ValueRange{row, offset});
  }
};
} // namespace

bool BlockDecoder::hasVectorCodes() const {
  switch (format.getKind()) {
  case FormatKind::Q8:
  case FormatKind::Q4:
  case FormatKind::PTQTP:
  case FormatKind::TWLA:
    return true;
  case FormatKind::IQ3:
  case FormatKind::ITQ3S:
  case FormatKind::ITQ3S64:
    return bool(gridWords);
  default:
    return false;
  }
}

// Grid container, the 8 tuples of the group of 32 at e (a multiple of 32):
// their 8 low index bytes, the byte of their 8 high bits, one gather of the
// 4 magnitudes of each (an i32 entry), then the 32 sign bits, each byte of
// signs spread over its 8 columns and tested against its bit.
Value BlockDecoder::vectorGrid(Value row, Value base, Value e) {
  Vec v{b, loc};
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  ::itq3::format::GridLayout layout = gridLayout(format);
  auto at = [&](int64_t field, int64_t divisor) {
    return arith::AddIOp::create(
        b, loc, base,
        arith::AddIOp::create(
            b, loc, arith::DivUIOp::create(b, loc, e, constant(divisor)),
            constant(field)));
  };
  auto v8i32 = VectorType::get({8}, i32);
  Value low = arith::ExtUIOp::create(b, loc, v8i32,
                                     v.load(weight, 8, row, at(layout.qs(), 4)));
  Value highByte = arith::ExtUIOp::create(
      b, loc, i32,
      memref::LoadOp::create(b, loc, weight, ValueRange{row, at(layout.qh(), 32)}));
  Value high = vector::BroadcastOp::create(b, loc, v8i32, highByte);
  SmallVector<int32_t> shifts, bits;
  for (int32_t j = 0; j < 8; ++j) {
    shifts.push_back(j);
    bits.push_back(1 << 8);
  }
  // bit j of the byte, moved to bit 8 of the index of tuple j
  high = arith::AndIOp::create(
      b, loc,
      arith::ShLIOp::create(
          b, loc,
          arith::ShRUIOp::create(b, loc, high, v.c(i32, ArrayRef<int32_t>(shifts))),
          v.c(i32, ArrayRef<int32_t>(SmallVector<int32_t>(8, 8)))),
      v.c(i32, ArrayRef<int32_t>(bits)));
  Value index = arith::OrIOp::create(b, loc, low, high);
  Value mask = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(VectorType::get({8}, b.getI1Type()), true));
  Value entries = vector::GatherOp::create(
      b, loc, v8i32, gridWords, ValueRange{constant(0)}, index, mask,
      v.c(i32, ArrayRef<int32_t>(SmallVector<int32_t>(8, 0))), IntegerAttr());
  auto v32i8 = VectorType::get({kVectorColumns}, i8);
  Value magnitudes = vector::BitCastOp::create(b, loc, v32i8, entries);
  Value signBytes = v.load(weight, 4, row, at(layout.signs(), 8));
  SmallVector<int64_t> spread;
  SmallVector<int8_t> bit;
  for (int64_t j = 0; j < kVectorColumns; ++j) {
    spread.push_back(j / 8);
    bit.push_back(int8_t(1 << (j % 8)));
  }
  Value signs = arith::AndIOp::create(
      b, loc, vector::ShuffleOp::create(b, loc, signBytes, signBytes, spread),
      v.c(i8, ArrayRef<int8_t>(bit)));
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                         signs, v.splat8(kVectorColumns, 0));
  return arith::SelectOp::create(
      b, loc, negative,
      arith::SubIOp::create(b, loc, v.splat8(kVectorColumns, 0), magnitudes),
      magnitudes);
}

// Byte `offset` of the block at `base` of `row`, in all n lanes of an i8
// vector.
Value BlockDecoder::splatByteAt(Value row, Value base, int64_t offset,
                                int64_t n) {
  Value byte = memref::LoadOp::create(
      b, loc, weight,
      ValueRange{row, arith::AddIOp::create(b, loc, base, constant(offset))});
  return vector::BroadcastOp::create(b, loc, VectorType::get({n}, b.getI8Type()),
                                     byte);
}

// Lanes 0..31 and 32..63 of a 64-lane vector.
std::pair<Value, Value> BlockDecoder::halves(Value v64) {
  SmallVector<int64_t> first, second;
  for (int64_t j = 0; j < kVectorColumns; ++j) {
    first.push_back(j);
    second.push_back(kVectorColumns + j);
  }
  return {vector::ShuffleOp::create(b, loc, v64, v64, first),
          vector::ShuffleOp::create(b, loc, v64, v64, second)};
}

// The trits of lanes of base-3 bytes (vector<n x i8>, byte q of each lane)
// whose digit k has power[lane] = 3^k: in i16 ((q * 3^k) & 255) * 3 >> 8
// is the digit, minus 1 in i8 the trit.
Value BlockDecoder::vectorTrits(Value bytes, ArrayRef<int16_t> powers) {
  Vec v{b, loc};
  Type i8 = b.getI8Type(), i16 = b.getI16Type();
  int64_t n = int64_t(powers.size());
  auto splat16 = [&](int16_t x) {
    return v.c(i16, ArrayRef<int16_t>(SmallVector<int16_t>(n, x)));
  };
  Value q = arith::ExtUIOp::create(b, loc, VectorType::get({n}, i16), bytes);
  Value fraction = arith::AndIOp::create(
      b, loc, arith::MulIOp::create(b, loc, q, v.c(i16, powers)), splat16(255));
  Value digits = arith::TruncIOp::create(
      b, loc, VectorType::get({n}, i8),
      arith::ShRUIOp::create(
          b, loc, arith::MulIOp::create(b, loc, fraction, splat16(3)),
          splat16(8)));
  return arith::SubIOp::create(b, loc, digits, v.splat8(n, 1));
}

// ptqtp, the 64 trits of the group of 32 at e (a multiple of 32): the 13
// bytes spread over the 64 trit lanes (lane s takes byte s % 13), then per
// lane in i16 ((q * 3^(s / 13)) & 255) * 3 >> 8 gives the digit, t = digit
// - 1 in i8; t1 is lanes 0..31, t2 lanes 32..63, and code = m1 t1 + m2 t2
// stays in i8 (|code| <= m1 + m2 <= 127). (The planes' products in i16
// instead of i8 measured 10-35% slower on Zen 3, bench/results/ptqtp.md.) The bytes come from one 16-byte load that ends with the
// group: a 13-byte vector is split into single-byte loads and inserts by
// LLVM, while the 3 bytes before a group always exist (the block's scales or
// the previous group), so the load never leaves the row.
Value BlockDecoder::vectorPtqtp(Value row, Value base, Value e) {
  namespace pt = ::itq3::format::ptqtp;
  Vec v{b, loc};
  constexpr int64_t trits = 2 * pt::kGroup, loadBytes = 16;
  constexpr int64_t before = loadBytes - pt::kGroupBytes;
  static_assert(before <= pt::kScaleBytes, "the load must stay in the block");
  Value start = arith::AddIOp::create(
      b, loc, base,
      arith::AddIOp::create(
          b, loc, constant(pt::kScaleBytes - before),
          arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, e, constant(pt::kGroup)),
              constant(pt::kGroupBytes))));
  Value bytes = v.load(weight, loadBytes, row, start);
  SmallVector<int64_t> spread;
  SmallVector<int16_t> powers;
  for (int s = 0; s < trits; ++s) {
    spread.push_back(before + pt::tritByte(s));
    powers.push_back(int16_t(pt::pow3(pt::tritDigit(s))));
  }
  Value t = vectorTrits(vector::ShuffleOp::create(b, loc, bytes, bytes, spread),
                        powers);
  auto [t1, t2] = halves(t);
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, t1, splatByteAt(row, base, 2, kVectorColumns)),
      arith::MulIOp::create(b, loc, t2, splatByteAt(row, base, 3, kVectorColumns)));
}

// twla, the 32 columns at e (0 or 32) of a group of 64: all 64 trits
// decoded as vectorPtqtp decodes its 64 (lane j takes byte j / 5, digit
// j % 5), code = c_mu + c_alpha t in i8 (|c_mu| + |c_alpha| <= 127), and
// the half that holds e selected. The 16-byte load ends with the group; the
// 3 bytes before its trits are its own scales.
Value BlockDecoder::vectorTwla(Value row, Value base, Value e) {
  namespace pt = ::itq3::format::ptqtp;
  Vec v{b, loc};
  constexpr int64_t trits = 2 * kVectorColumns, tritBytes = 13, loadBytes = 16;
  constexpr int64_t before = loadBytes - tritBytes;
  static_assert(before < kTwlaScaleBytes, "the load must stay in the group");
  Value bytes = v.load(weight, loadBytes, row,
                       arith::AddIOp::create(b, loc, base,
                                             constant(kTwlaScaleBytes - before)));
  SmallVector<int64_t> spread;
  SmallVector<int16_t> powers;
  for (int j = 0; j < trits; ++j) {
    spread.push_back(before + j / pt::kTritsPerByte);
    powers.push_back(int16_t(pt::pow3(j % pt::kTritsPerByte)));
  }
  Value t = vectorTrits(vector::ShuffleOp::create(b, loc, bytes, bytes, spread),
                        powers);
  Value codes = arith::AddIOp::create(
      b, loc, splatByteAt(row, base, 2, trits),
      arith::MulIOp::create(b, loc, splatByteAt(row, base, 3, trits), t));
  auto [lower, upper] = halves(codes);
  Value second = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, e,
                                       constant(0));
  return arith::SelectOp::create(b, loc, second, upper, lower);
}

Value BlockDecoder::vectorCodes(Value row, Value col) {
  assert(hasVectorCodes() && "no vector decode for this format");
  auto [base, e] = locate(col);
  Vec v{b, loc};
  switch (format.getKind()) {
  case FormatKind::Q8: // the 32 int8 codes after the scale
    return v.load(weight, kVectorColumns, row,
                  arith::AddIOp::create(b, loc, base, constant(2)));
  case FormatKind::Q4:
    return arith::SubIOp::create(b, loc, vectorNibbles(row, base),
                                 v.splat8(kVectorColumns, codeOffset()));
  case FormatKind::IQ3:
  case FormatKind::ITQ3S:
  case FormatKind::ITQ3S64:
    return vectorGrid(row, base, e);
  case FormatKind::PTQTP:
    return vectorPtqtp(row, base, e);
  case FormatKind::TWLA:
    return vectorTwla(row, base, e);
  default:
    llvm_unreachable("no vector decode for this format");
  }
}

Value BlockDecoder::vectorNibbles(Value row, Value base) {
  Vec v{b, loc};
  Value bytes = v.load(weight, 16, row,
                       arith::AddIOp::create(b, loc, base, constant(2)));
  Value low = arith::AndIOp::create(b, loc, bytes, v.splat8(16, 15));
  Value high = arith::ShRUIOp::create(b, loc, bytes, v.splat8(16, 4));
  SmallVector<int64_t> concat;
  for (int64_t j = 0; j < kVectorColumns; ++j)
    concat.push_back(j);
  return vector::ShuffleOp::create(b, loc, low, high, concat);
}

bool BlockDecoder::hasBlockCodes(int64_t columns) const {
  if (!isGridFormat(format.getKind()) || !gridPositions)
    return false;
  int64_t block = gridLayout(format).weights;
  return columns % block == 0 && columns <= kBlockColumns;
}

/// `parts` (1-D vectors of one element type) one after the other, then
/// zeros up to `width` elements.
static Value concatenate(OpBuilder &b, Location loc, ArrayRef<Value> parts,
                         int64_t width) {
  auto widthOf = [](Value v) {
    return cast<VectorType>(v.getType()).getNumElements();
  };
  Value whole = parts.front();
  for (Value part : parts.drop_front()) {
    SmallVector<int64_t> mask(widthOf(whole) + widthOf(part));
    std::iota(mask.begin(), mask.end(), 0);
    whole = vector::ShuffleOp::create(b, loc, whole, part, mask);
  }
  int64_t have = widthOf(whole);
  if (have == width)
    return whole;
  auto type = VectorType::get({width - have},
                              cast<VectorType>(whole.getType()).getElementType());
  Value zeros = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  SmallVector<int64_t> mask(width);
  std::iota(mask.begin(), mask.end(), 0);
  return vector::ShuffleOp::create(b, loc, whole, zeros, mask);
}

// Byte p of the grid entries of 64 tuples: index byte `low` (bit 7 also as
// the mask `bit7`) and high index bit `high` pick one of four 128-entry
// segments of position p's table; vpermi2b looks each up with bits 6..0.
Value BlockDecoder::gridBytesAt(int64_t p, Value low, Value bit7, Value high) {
  constexpr int64_t lanes = kBlockColumns / 4, segment = 128;
  auto v64i8 = VectorType::get({lanes}, b.getI8Type());
  SmallVector<Value> segments;
  for (int64_t s = 0; s < 4; ++s) {
    auto half = [&](int64_t h) {
      return vector::LoadOp::create(
          b, loc, v64i8, gridPositions,
          ValueRange{constant(p), constant(s * segment + h * lanes)});
    };
    segments.push_back(
        LLVM::CallIntrinsicOp::create(
            b, loc, v64i8, b.getStringAttr("llvm.x86.avx512.vpermi2var.qi.512"),
            ValueRange{half(0), low, half(1)})
            ->getResult(0));
  }
  auto pick = [&](Value mask, Value x, Value y) {
    return arith::SelectOp::create(b, loc, mask, x, y).getResult();
  };
  return pick(high, pick(bit7, segments[3], segments[2]),
              pick(bit7, segments[1], segments[0]));
}

// The 4 bytes of 64 tuples in column order (column 4t + p is byte p of tuple
// t): bytes interleaved, then pairs of them.
Value BlockDecoder::interleaveTuples(ArrayRef<Value> bytesAt) {
  constexpr int64_t lanes = kBlockColumns / 4;
  SmallVector<int64_t> zip(2 * lanes);
  for (int64_t t = 0; t < lanes; ++t) {
    zip[2 * t] = t;
    zip[2 * t + 1] = lanes + t;
  }
  auto zipped = [&](Value x, Value y) {
    return vector::ShuffleOp::create(b, loc, x, y, zip).getResult();
  };
  auto pairs = VectorType::get({lanes}, b.getI16Type());
  Value bytePairs01 =
      vector::BitCastOp::create(b, loc, pairs, zipped(bytesAt[0], bytesAt[1]));
  Value bytePairs23 =
      vector::BitCastOp::create(b, loc, pairs, zipped(bytesAt[2], bytesAt[3]));
  return vector::BitCastOp::create(
      b, loc, VectorType::get({kBlockColumns}, b.getI8Type()),
      zipped(bytePairs01, bytePairs23));
}

SmallVector<Value> BlockDecoder::blockCodes(Value row, Value col,
                                            int64_t columns) {
  assert(hasBlockCodes(columns) && "no block decode for these columns");
  Vec v{b, loc};
  Type i1 = b.getI1Type();
  constexpr int64_t lanes = kBlockColumns / 4;
  ::itq3::format::GridLayout layout = gridLayout(format);
  int64_t tuplesPerBlock = layout.weights / 4;
  // the fields of each block, one after the other
  SmallVector<Value> lowParts, highParts, signParts;
  for (int64_t first = 0; first < columns; first += layout.weights) {
    Value base = locate(arith::AddIOp::create(b, loc, col, constant(first))).first;
    auto field = [&](int64_t offset, int64_t n) {
      return v.load(weight, n, row,
                    arith::AddIOp::create(b, loc, base, constant(offset)));
    };
    lowParts.push_back(field(layout.qs(), tuplesPerBlock));
    highParts.push_back(field(layout.qh(), tuplesPerBlock / 8));
    signParts.push_back(field(layout.signs(), layout.weights / 8));
  }
  auto masks = [&](Value bytes) {
    int64_t n = cast<VectorType>(bytes.getType()).getNumElements();
    return vector::BitCastOp::create(b, loc, VectorType::get({8 * n}, i1),
                                     bytes);
  };
  Value low = concatenate(b, loc, lowParts, lanes);
  Value high = masks(concatenate(b, loc, highParts, lanes / 8));
  Value bit7 = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, low,
                                     v.splat8(lanes, 0));
  SmallVector<Value> bytesAt;
  for (int64_t p = 0; p < 4; ++p)
    bytesAt.push_back(gridBytesAt(p, low, bit7, high));
  Value magnitudes = interleaveTuples(bytesAt);
  Value signs = masks(concatenate(b, loc, signParts, kBlockColumns / 8));
  Value codes = arith::SelectOp::create(
      b, loc, signs,
      arith::SubIOp::create(b, loc, v.splat8(kBlockColumns, 0), magnitudes),
      magnitudes);
  SmallVector<Value> groups;
  for (int64_t g = 0; g < columns / kVectorColumns; ++g)
    groups.push_back(vector::ExtractStridedSliceOp::create(
        b, loc, codes, ArrayRef<int64_t>{g * kVectorColumns},
        ArrayRef<int64_t>{kVectorColumns}, ArrayRef<int64_t>{1}));
  return groups;
}

int64_t BlockDecoder::codeOffset() const {
  switch (format.getKind()) {
  case FormatKind::Q4:
    return 8;
  case FormatKind::Q8:
    return 128;
  default:
    return 0;
  }
}

Value BlockDecoder::vectorOffsetCodes(Value row, Value col) {
  assert(codeOffset() != 0 && "codes not stored with an offset");
  if (format.getKind() == FormatKind::Q4)
    return vectorNibbles(row, locate(col).first);
  // q8: w + 128 is w with its sign bit flipped.
  return arith::XOrIOp::create(b, loc, vectorCodes(row, col),
                               Vec{b, loc}.splat8(kVectorColumns, int8_t(-128)));
}

int64_t BlockDecoder::vectorScaleGroups() const {
  return isGridFormat(format.getKind()) ? gridLayout(format).subBlocks() : 0;
}

// Grid container: the 4-bit l of a block (two per byte, low nibble first),
// d * (2l + 1) for each.
Value BlockDecoder::vectorScales(Value row, Value col) {
  int64_t groups = vectorScaleGroups();
  assert(groups > 0 && "no vector scales for this format");
  auto [base, e] = locate(col);
  (void)e;
  Vec v{b, loc};
  Type i8 = b.getI8Type();
  Value bytes = v.load(weight, groups / 2, row,
                       arith::AddIOp::create(b, loc, base,
                                             constant(gridLayout(format).scales())));
  SmallVector<int64_t> spread;
  SmallVector<int8_t> shifts;
  for (int64_t j = 0; j < groups; ++j) {
    spread.push_back(j / 2);
    shifts.push_back(int8_t(4 * (j % 2)));
  }
  Value l = arith::AndIOp::create(
      b, loc,
      arith::ShRUIOp::create(
          b, loc, vector::ShuffleOp::create(b, loc, bytes, bytes, spread),
          v.c(i8, ArrayRef<int8_t>(shifts))),
      v.splat8(groups, 15));
  Value odd = arith::AddIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, l, v.splat8(groups, 1)),
      v.splat8(groups, 1));
  auto type = VectorType::get({groups}, b.getF32Type());
  return arith::MulFOp::create(
      b, loc, vector::BroadcastOp::create(b, loc, type, halfAt(row, base)),
      arith::UIToFPOp::create(b, loc, type, odd));
}

Value BlockDecoder::vectorValues(Value row, Value col) {
  auto type = VectorType::get({kVectorColumns}, b.getF32Type());
  Value codes = arith::SIToFPOp::create(b, loc, type, vectorCodes(row, col));
  Value groupScale = vector::BroadcastOp::create(b, loc, type, scale(row, col));
  return arith::MulFOp::create(b, loc, codes, groupScale);
}

/// A private constant global named `name` in the module, created by `make`
/// unless it exists.
template <typename MakeValue>
static memref::GlobalOp getOrCreateGlobal(Operation *moduleOp, StringRef name,
                                          MemRefType type, MakeValue make) {
  SymbolTable symbols(moduleOp);
  if (auto existing = symbols.lookup<memref::GlobalOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(&moduleOp->getRegion(0).front());
  auto global = memref::GlobalOp::create(
      b, moduleOp->getLoc(), name, b.getStringAttr("private"), type,
      make(RankedTensorType::get(type.getShape(), type.getElementType())),
      /*constant=*/true, /*alignment=*/IntegerAttr());
  symbols.insert(global);
  return global;
}

memref::GlobalOp mlir::itq3::getOrCreateGridTable(Operation *moduleOp) {
  MLIRContext *ctx = moduleOp->getContext();
  const auto &grid = ::itq3::format::builtinGrid();
  auto type = MemRefType::get({int64_t(grid.size() * 4)}, IntegerType::get(ctx, 8));
  return getOrCreateGlobal(moduleOp, "__itq3_grid", type, [&](RankedTensorType t) {
    SmallVector<int8_t> values;
    for (const auto &entry : grid)
      values.append(entry.begin(), entry.end());
    return DenseElementsAttr::get(t, ArrayRef<int8_t>(values));
  });
}

memref::GlobalOp mlir::itq3::getOrCreateGridWordTable(Operation *moduleOp) {
  MLIRContext *ctx = moduleOp->getContext();
  const auto &grid = ::itq3::format::builtinGrid();
  auto type = MemRefType::get({int64_t(grid.size())}, IntegerType::get(ctx, 32));
  return getOrCreateGlobal(moduleOp, "__itq3_grid_words", type, [&](RankedTensorType t) {
    SmallVector<int32_t> words;
    for (const auto &entry : grid) {
      uint32_t word = 0;
      for (int j = 0; j < 4; ++j)
        word |= uint32_t(uint8_t(entry[j])) << (8 * j);
      words.push_back(int32_t(word));
    }
    return DenseElementsAttr::get(t, ArrayRef<int32_t>(words));
  });
}

memref::GlobalOp mlir::itq3::getOrCreateGridPositionTable(Operation *moduleOp) {
  MLIRContext *ctx = moduleOp->getContext();
  const auto &grid = ::itq3::format::builtinGrid();
  int64_t entries = int64_t(grid.size());
  auto type = MemRefType::get({4, entries}, IntegerType::get(ctx, 8));
  return getOrCreateGlobal(moduleOp, "__itq3_grid_positions", type,
                           [&](RankedTensorType t) {
    SmallVector<int8_t> values;
    for (int p = 0; p < 4; ++p)
      for (const auto &entry : grid)
        values.push_back(entry[p]);
    return DenseElementsAttr::get(t, ArrayRef<int8_t>(values));
  });
}

memref::GlobalOp mlir::itq3::getOrCreateSignTable(Operation *moduleOp,
                                                  uint64_t seed, int64_t cols) {
  MLIRContext *ctx = moduleOp->getContext();
  std::string name =
      "__itq3_signs_" + std::to_string(seed) + "_" + std::to_string(cols);
  auto type = MemRefType::get({cols}, Float32Type::get(ctx));
  return getOrCreateGlobal(moduleOp, name, type, [&](RankedTensorType t) {
    SmallVector<float> signs;
    for (int64_t c = 0; c < cols; ++c)
      signs.push_back(::itq3::format::fwhtSign(seed, c));
    return DenseElementsAttr::get(t, ArrayRef<float>(signs));
  });
}

Value mlir::itq3::loadGlobal(OpBuilder &builder, Location loc,
                             memref::GlobalOp global) {
  return memref::GetGlobalOp::create(builder, loc, global.getType(),
                                     global.getSymName());
}
