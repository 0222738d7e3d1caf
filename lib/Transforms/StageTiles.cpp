//===- StageTiles.cpp - itq3.matmul_into -> staged loops ------------------===//
//
// One tiled form for the CPU and the GPU: each phase is an scf.parallel over
// the tile whose iterations are independent, so the CPU runs it as loops and
// a GPU mapping runs it across threads with a barrier after it.
//
//===----------------------------------------------------------------------===//
#include "itq3/Transforms/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "itq3/Transforms/BlockDecoder.h"
#include "PhaseBuilder.h"
#include "TileLoop.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <numeric>

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3STAGETILES
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

constexpr int64_t kWideChunk = 256;
constexpr int64_t kActivationBlock = 32;

/// 1/sqrt(n) of the FWHT-n (exact: n is 64 or 256).
double fwhtScale(int64_t n) { return 1.0 / std::sqrt(double(n)); }

/// A static upper bound of a tile dimension: the static size, or the
/// constant operand of the arith.minsi that clamps an edge tile.
std::optional<int64_t> staticBound(Value memref, int64_t dim) {
  auto type = cast<MemRefType>(memref.getType());
  if (!type.isDynamicDim(dim))
    return type.getDimSize(dim);
  auto subview = memref.getDefiningOp<memref::SubViewOp>();
  if (!subview)
    return std::nullopt;
  OpFoldResult size = subview.getMixedSizes()[dim];
  auto min = dyn_cast_if_present<Value>(size)
                 ? cast<Value>(size).getDefiningOp<arith::MinSIOp>()
                 : arith::MinSIOp();
  if (!min)
    return std::nullopt;
  for (Value operand : {min.getLhs(), min.getRhs()}) {
    APInt bound;
    if (matchPattern(operand, m_ConstantInt(&bound)))
      return bound.getSExtValue();
  }
  return std::nullopt;
}

/// Columns decoded per step: one rotation block where the staged weights
/// are un-rotated (rotation<weight>: a chunk at a time); else the largest
/// multiple of the format's block (and of 32) that divides K, up to 256 (192
/// for K = 576 in blocks of 64), or one block of formats whose blocks are
/// longer, or single columns for f16 rows of odd length.
int64_t chunkSize(MatmulIntoOp op) {
  FormatAttr format = op.getFormat();
  int64_t k = op.getInput().getType().getDimSize(1);
  int64_t block = format.getBlockSize();
  if (op.getRotation() == Rotation::Weight)
    return format.getRotationBlock();
  int64_t step = std::lcm(block, kActivationBlock);
  for (int64_t chunk = kWideChunk / step * step; chunk >= step; chunk -= step)
    if (k % chunk == 0)
      return chunk;
  return block;
}

/// The stage buffers of a product on 16x8 blocks (itq3.mma): the
/// activation rows, the weight rows and the block results.
struct MmaStages {
  Value lhs, rhs, acc;
};

class TileLowering : public PhaseBuilder {
public:
  /// `mmaRows` is the static tile M when the product runs on itq3.mma
  /// blocks, 0 when it runs on dot products.
  /// `avx2`: the int8 products of the CPU's vector path may use AVX2
  /// intrinsics (the target has them); otherwise they stay generic.
  /// `vnni` (with `avx2`): they may use vpdpbusd (AVX512-VNNI, AVX512VL).
  TileLowering(MatmulIntoOp op, int64_t tileRows, int64_t mmaRows,
               bool vectorDecode, bool avx2, bool vnni, bool vbmi,
               ModuleOp module)
      : PhaseBuilder(op), op(op), format(op.getFormat()),
        k(op.getInput().getType().getDimSize(1)), chunk(chunkSize(op)),
        tileRows(tileRows), mmaRows(mmaRows), vectorDecode(vectorDecode),
        avx2(avx2), vnni(avx2 && vnni), vbmi(vbmi), module(module) {}

  void run() {
    bool integer = op.getInput().getType().getElementType().isInteger(8);
    Value grid, gridWords, gridPositions;
    bool isGrid = BlockDecoder::isGridFormat(format.getKind());
    bool vectorChunks =
        vectorDecode && chunk % BlockDecoder::kVectorColumns == 0;
    if (isGrid && vectorChunks) {
      gridWords = loadGlobal(b, loc, getOrCreateGridWordTable(module));
      if (vbmi)
        gridPositions =
            loadGlobal(b, loc, getOrCreateGridPositionTable(module));
    } else if (isGrid) {
      grid = loadGlobal(b, loc, getOrCreateGridTable(module));
    }
    decoder.emplace(b, loc, format, op.getWeight(), grid, gridWords,
                    gridPositions);
    vectorized = vectorChunks && decoder->hasVectorCodes();
    m = dim(op.getResult(), 0);
    n = dim(op.getResult(), 1);
    if (integer && vectorized && !mmaRows) {
      if (usesPanels())
        panelsOrRows();
      else
        registerBlockedTile();
      op.erase();
      return;
    }
    // The f16 blocks accumulate the whole K in a stage, copied out at the
    // end; every other product adds each chunk to the result (zeroed first,
    // unless the op accumulates onto what it holds).
    bool accumulateInStage = mmaRows && !integer;
    if (!accumulateInStage && !op.getAccumulate())
      parallel({m, n}, [&](ValueRange iv) {
        memref::StoreOp::create(b, loc, f32(0.0), op.getResult(), iv);
      });
    // Stage buffers live across the chunk loop: one allocation per tile.
    Value values = stage(tileRows, chunk,
                         integer ? Type(b.getI8Type()) : b.getF32Type());
    Value scales = integer ? stage(tileRows, chunk / kActivationBlock,
                                   b.getF32Type())
                           : Value();
    std::optional<MmaStages> mma;
    if (mmaRows)
      mma = integer ? integerMmaStages(values) : floatMmaStages();
    // The CPU's float product of rotation<weight> rotates the activations
    // of each chunk instead of every staged weight row (see floatChunk).
    if (!integer && !mmaRows && vectorized &&
        op.getRotation() == Rotation::Weight)
      rotatedActivations = memref::AllocaOp::create(
          b, loc, MemRefType::get({ShapedType::kDynamic, chunk}, b.getF32Type()),
          ValueRange{m});
    auto chunks = scf::ForOp::create(b, loc, index(0), index(k / chunk), index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(chunks.getBody());
      Value first = arith::MulIOp::create(b, loc, chunks.getInductionVar(),
                                          index(chunk));
      if (integer)
        integerChunk(first, values, scales, mma);
      else
        floatChunk(first, values, mma);
    }
    if (accumulateInStage)
      parallel({m, n}, [&](ValueRange iv) {
        Value sum = memref::LoadOp::create(b, loc, mma->acc, iv);
        storeResult(sum, iv);
      });
    op.erase();
  }

private:
  /// y[iv] = sum, or y[iv] += sum when the op accumulates.
  void storeResult(Value sum, ValueRange iv) {
    if (op.getAccumulate())
      sum = arith::AddFOp::create(
          b, loc, memref::LoadOp::create(b, loc, op.getResult(), iv), sum);
    memref::StoreOp::create(b, loc, sum, op.getResult(), iv);
  }

  /// The stage buffer [rows x cols] of `element`, allocated at the start of
  /// the tile: a product inside a loop of the tile (TwinQuant's row blocks
  /// of V) then reuses one buffer, which the GPU mapping makes workgroup
  /// memory.
  Value stage(int64_t rows, int64_t cols, Type element) {
    OpBuilder::InsertionGuard guard(b);
    auto tile = op->getParentOfType<scf::ForallOp>();
    if (tile && op->getBlock() != tile.getBody())
      b.setInsertionPointToStart(tile.getBody());
    return memref::AllocaOp::create(
        b, loc, MemRefType::get({rows, cols}, element));
  }

  /// Fills a stage with zeros, once per tile. Blocks read whole stages,
  /// and the rows past an edge tile's M or N are never written afterwards,
  /// so they stay zero instead of undefined.
  Value zeroFill(Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    Value zero =
        arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
    parallel({index(type.getDimSize(0)), index(type.getDimSize(1))},
             [&](ValueRange iv) {
               memref::StoreOp::create(b, loc, zero, buffer, iv);
             });
    return buffer;
  }
  Value zeroedStage(int64_t rows, int64_t cols, Type element) {
    return zeroFill(stage(rows, cols, element));
  }

  /// int8 blocks: activation rows staged per chunk, the codes stage as the
  /// weight rows, and one i32 block result per (group of 32, row, column).
  MmaStages integerMmaStages(Value codes) {
    int64_t groups = chunk / kActivationBlock;
    return {zeroedStage(mmaRows, chunk, b.getI8Type()), zeroFill(codes),
            stage(groups * mmaRows, tileRows, b.getI32Type())};
  }

  /// f16 blocks: both operands rounded to f16, the sum kept in f32.
  MmaStages floatMmaStages() {
    Type f16 = b.getF16Type();
    return {zeroedStage(mmaRows, chunk, f16), zeroedStage(tileRows, chunk, f16),
            zeroedStage(mmaRows, tileRows, b.getF32Type())};
  }

  /// One itq3.mma per 16x8 block of the tile (per group of 32 columns when
  /// `groups` > 0, each into its own rows of the result stage).
  void mmaPhase(const MmaStages &mma, int64_t length, int64_t groups,
                bool accumulate) {
    SmallVector<Value> ubs;
    if (groups)
      ubs.push_back(index(groups));
    ubs.append({index(mmaRows / MmaOp::kRows), index(tileRows / MmaOp::kCols)});
    parallel(ubs, [&](ValueRange iv) {
      Value group = groups ? iv[0] : index(0);
      Value row = mul(iv[iv.size() - 2], index(MmaOp::kRows));
      Value col = mul(iv.back(), index(MmaOp::kCols));
      Value k0 = mul(group, index(length));
      MmaOp::create(b, loc, mma.lhs, row, k0, mma.rhs, col, k0, mma.acc,
                    add(mul(group, index(mmaRows)), row), col, length,
                    accumulate);
    });
  }

  /// Copies the chunk's activations into the block operand stage, through
  /// `convert` (e.g. to f16).
  void stageActivations(Value target, Value first,
                        function_ref<Value(Value x, Value col)> convert) {
    parallel({m, index(chunk)}, [&](ValueRange iv) {
      Value col = add(first, iv[1]);
      Value x = memref::LoadOp::create(b, loc, op.getInput(), ValueRange{iv[0], col});
      memref::StoreOp::create(b, loc, convert(x, col), target, iv);
    });
  }

  /// Lets each product term and the sum it is added to fuse into one FMA.
  arith::FastMathFlagsAttr contract() {
    return arith::FastMathFlagsAttr::get(b.getContext(),
                                         arith::FastMathFlags::contract);
  }

  /// y[m, n] += sum over `count` steps of `term(step)` (f32); the term's
  /// last multiply carries contract() so that it fuses with the sum.
  void accumulate(Value mIdx, Value nIdx, int64_t count,
                  function_ref<Value(Value)> term, Value factor = {}) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(count), index(1),
                                   ValueRange{f32(0.0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value sum = arith::AddFOp::create(b, loc, loop.getRegionIterArg(0),
                                        term(loop.getInductionVar()), contract());
      scf::YieldOp::create(b, loc, sum);
    }
    Value partial = loop.getResult(0);
    if (factor)
      partial = arith::MulFOp::create(b, loc, partial, factor);
    Value old = memref::LoadOp::create(b, loc, op.getResult(), ValueRange{mIdx, nIdx});
    memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, partial),
                            op.getResult(), ValueRange{mIdx, nIdx});
  }

  /// A phase that decodes the chunk's columns of every tile row into
  /// `buffer`, as many per iteration as the decoder reads together:
  /// `decode(row, col)` gives the values of columns col, col + 1, ...
  void decodePhase(
      Value buffer, Value first,
      function_ref<SmallVector<Value>(Value row, Value col)> decode) {
    int64_t step = decoder->columnsPerStep();
    parallel({n, index(chunk / step)}, [&](ValueRange iv) {
      Value offset = mul(iv[1], index(step));
      for (auto [j, v] : llvm::enumerate(decode(iv[0], add(first, offset))))
        memref::StoreOp::create(b, loc, v, buffer,
                                ValueRange{iv[0], add(offset, index(j))});
    });
  }

  /// The vector form of a decode phase: one iteration per (row, group of
  /// 32 columns), which stores `decode(row, col, group)` at the group.
  void vectorDecodePhase(
      Value buffer, Value first,
      function_ref<Value(Value row, Value col, Value group)> decode) {
    int64_t width = BlockDecoder::kVectorColumns;
    parallel({n, index(chunk / width)}, [&](ValueRange iv) {
      Value offset = mul(iv[1], index(width));
      vector::StoreOp::create(b, loc, decode(iv[0], add(first, offset), iv[1]),
                              buffer, ValueRange{iv[0], offset});
    });
  }

  /// The CPU form of itq3.stage_fwht: per staged row, the chunk's values
  /// (one rotation block) as one vector and the same log2(chunk) butterfly
  /// stages (u + v, u - v at stride 2^s, in the same order, so the same
  /// result) on shuffles of it.
  void vectorFWHT(Value buffer) {
    auto type = VectorType::get({chunk}, b.getF32Type());
    parallel({n}, [&](ValueRange iv) {
      Value v = vector::LoadOp::create(b, loc, type, buffer,
                                       ValueRange{iv[0], index(0)});
      vector::StoreOp::create(b, loc, butterflies(v), buffer,
                              ValueRange{iv[0], index(0)});
    });
  }

  /// The chunk's values (code * scale, f32) of every tile row into
  /// `buffer`, a row at a time: its codes as chunkCodes() decodes them, its
  /// scales as one vector.
  void decodeValueRows(Value buffer, Value first) {
    int64_t groups = chunk / kActivationBlock;
    auto v32f32 = VectorType::get({kActivationBlock}, b.getF32Type());
    parallel({n}, [&](ValueRange iv) {
      Value row = iv[0];
      Value scales = chunkScales(row, first, groups);
      for (auto [g, codes] : llvm::enumerate(chunkCodes(row, first, false))) {
        Value scale = vector::BroadcastOp::create(
            b, loc, v32f32, vector::ExtractOp::create(b, loc, scales, g));
        Value values = arith::MulFOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, v32f32, codes), scale);
        vector::StoreOp::create(b, loc, values, buffer,
                                ValueRange{row, index(g * kActivationBlock)});
      }
    });
  }

  /// Each activation row's chunk from column `first`, times the signs,
  /// through the same butterflies into rotatedActivations.
  void rotateActivations(Value first, Value signs) {
    auto type = VectorType::get({chunk}, b.getF32Type());
    parallel({m}, [&](ValueRange iv) {
      Value x = vector::LoadOp::create(b, loc, type, op.getInput(),
                                       ValueRange{iv[0], first});
      if (signs)
        x = arith::MulFOp::create(
            b, loc, x, vector::LoadOp::create(b, loc, type, signs, first));
      vector::StoreOp::create(b, loc, butterflies(x), rotatedActivations,
                              ValueRange{iv[0], index(0)});
    });
  }

  /// The unnormalized FWHT of a vector of `chunk` f32: log2(chunk) stages
  /// of u + v, u - v at stride 2^s on shuffles.
  Value butterflies(Value v) {
    for (int64_t half = 1; half < chunk; half *= 2) {
      SmallVector<int64_t> los, his, merge(chunk);
      for (int64_t pair = 0; pair < chunk / 2; ++pair) {
        int64_t lo = pair / half * 2 * half + pair % half;
        los.push_back(lo);
        his.push_back(lo + half);
        // sums are the first chunk/2 lanes of the merge's inputs,
        // differences the rest
        merge[lo] = pair;
        merge[lo + half] = chunk / 2 + pair;
      }
      Value u = vector::ShuffleOp::create(b, loc, v, v, los);
      Value w = vector::ShuffleOp::create(b, loc, v, v, his);
      v = vector::ShuffleOp::create(b, loc, arith::AddFOp::create(b, loc, u, w),
                                    arith::SubFOp::create(b, loc, u, w), merge);
    }
    return v;
  }

  void floatChunk(Value first, Value buffer, std::optional<MmaStages> mma) {
    if (vectorized)
      decodeValueRows(buffer, first);
    else
      decodePhase(buffer, first, [&](Value row, Value col) {
        return decoder->values(row, col);
      });
    bool unrotate = op.getRotation() == Rotation::Weight;
    auto signTable = [&] {
      return unrotate && format.getSeed() != 0
                 ? loadGlobal(b, loc,
                              getOrCreateSignTable(module, format.getSeed(), k))
                 : Value();
    };
    if (rotatedActivations) {
      // H is symmetric: x (D H q)^T = (H D x) q^T, so the chunk's H goes
      // onto the tile's few activation rows, not its weight rows.
      rotateActivations(first, signTable());
      vectorFloatProduct(first, buffer, /*signs=*/{}, f32(fwhtScale(chunk)),
                         rotatedActivations, index(0));
      return;
    }
    if (unrotate && vectorized)
      vectorFWHT(buffer);
    else if (unrotate)
      StageFWHTOp::create(b, loc, buffer, n);
    Value signs = signTable();
    // w = D H q: the 1/sqrt(chunk) of H and the signs D go onto the
    // activations.
    auto hScale = [&] { return unrotate ? f32(fwhtScale(chunk)) : Value(); };
    auto signed_ = [&](Value x, Value col) {
      if (!signs)
        return x;
      Value sign = memref::LoadOp::create(b, loc, signs, ValueRange{col});
      return arith::MulFOp::create(b, loc, x, sign).getResult();
    };
    if (mma) {
      Type f16 = b.getF16Type();
      parallel({n, index(chunk)}, [&](ValueRange iv) {
        Value w = memref::LoadOp::create(b, loc, buffer, iv);
        memref::StoreOp::create(b, loc, arith::TruncFOp::create(b, loc, f16, w),
                                mma->rhs, iv);
      });
      stageActivations(mma->lhs, first, [&](Value x, Value col) {
        x = signed_(x, col);
        if (unrotate)
          x = arith::MulFOp::create(b, loc, x, hScale());
        return arith::TruncFOp::create(b, loc, f16, x).getResult();
      });
      mmaPhase(*mma, chunk, /*groups=*/0, /*accumulate=*/true);
      return;
    }
    if (vectorized) {
      vectorFloatProduct(first, buffer, signs, hScale(), op.getInput(), first);
      return;
    }
    parallel({m, n}, [&](ValueRange iv) {
      accumulate(iv[0], iv[1], chunk, [&](Value e) {
        Value col = add(first, e);
        Value x = memref::LoadOp::create(b, loc, op.getInput(), ValueRange{iv[0], col});
        Value w = memref::LoadOp::create(b, loc, buffer, ValueRange{iv[1], e});
        return arith::MulFOp::create(b, loc, w, signed_(x, col), contract())
            .getResult();
      }, hScale());
    });
  }

  /// The float product in vector form (CPU): per (m, n), w * x (times the
  /// signs) in 16 f32 lanes (one AVX-512 vector, two AVX2 ones) over the
  /// chunk, one reduction, times `factor`;
  /// the chunk's x are the columns from `xFirst` of `activations`.
  void vectorFloatProduct(Value first, Value buffer, Value signs,
                          Value factor, Value activations, Value xFirst) {
    constexpr int64_t lanes = 16;
    auto type = VectorType::get({lanes}, b.getF32Type());
    parallel({m, n}, [&](ValueRange iv) {
      Value zero = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, 0.0f));
      auto loop = scf::ForOp::create(b, loc, index(0), index(chunk),
                                     index(lanes), ValueRange{zero});
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value e = loop.getInductionVar();
        Value col = add(first, e);
        Value x = vector::LoadOp::create(b, loc, type, activations,
                                         ValueRange{iv[0], add(xFirst, e)});
        if (signs)
          x = arith::MulFOp::create(
              b, loc, x,
              vector::LoadOp::create(b, loc, type, signs, ValueRange{col}));
        Value w = vector::LoadOp::create(b, loc, type, buffer,
                                         ValueRange{iv[1], e});
        Value sum = arith::AddFOp::create(
            b, loc, loop.getRegionIterArg(0),
            arith::MulFOp::create(b, loc, w, x, contract()), contract());
        scf::YieldOp::create(b, loc, sum);
      }
      Value partial = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, loop.getResult(0),
          arith::FastMathFlags::reassoc);
      if (factor)
        partial = arith::MulFOp::create(b, loc, partial, factor);
      Value old = memref::LoadOp::create(b, loc, op.getResult(), iv);
      memref::StoreOp::create(b, loc,
                              arith::AddFOp::create(b, loc, old, partial),
                              op.getResult(), iv);
    });
  }

  void integerChunk(Value first, Value codes, Value scales,
                    std::optional<MmaStages> mma) {
    int64_t groups = chunk / kActivationBlock;
    static_assert(BlockDecoder::kVectorColumns == kActivationBlock,
                  "a vector decode step is one group of the int8 product");
    if (vectorized) {
      // Codes and scale of a group in one step (the 16x8 blocks' stage).
      vectorDecodePhase(codes, first, [&](Value row, Value col, Value group) {
        memref::StoreOp::create(b, loc, decoder->scale(row, col), scales,
                                ValueRange{row, group});
        return decoder->vectorCodes(row, col);
      });
    } else {
      decodePhase(codes, first, [&](Value row, Value col) {
        SmallVector<Value> bytes;
        for (Value code : decoder->codes(row, col))
          bytes.push_back(arith::TruncIOp::create(b, loc, b.getI8Type(), code));
        return bytes;
      });
      parallel({n, index(groups)}, [&](ValueRange iv) {
        Value col = add(first, arith::MulIOp::create(b, loc, iv[1], index(kActivationBlock)));
        memref::StoreOp::create(b, loc, decoder->scale(iv[0], col), scales, iv);
      });
    }
    if (mma) {
      stageActivations(mma->lhs, first, [](Value x, Value) { return x; });
      mmaPhase(*mma, kActivationBlock, groups, /*accumulate=*/false);
    }
    Value firstGroup = arith::DivUIOp::create(b, loc, first, index(kActivationBlock));
    parallel({m, n}, [&](ValueRange iv) {
      accumulate(iv[0], iv[1], groups, [&](Value g) {
        Value dot = mma ? memref::LoadOp::create(
                              b, loc, mma->acc,
                              ValueRange{add(mul(g, index(mmaRows)), iv[0]), iv[1]})
                        : integerDot(codes, iv[0], iv[1], first, g);
        Value ws = memref::LoadOp::create(b, loc, scales, ValueRange{iv[1], g});
        Value xs = memref::LoadOp::create(b, loc, op.getInputScales(),
                                          ValueRange{iv[0], add(firstGroup, g)});
        Value scaled = arith::MulFOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), dot), ws);
        return arith::MulFOp::create(b, loc, scaled, xs, contract()).getResult();
      });
    });
  }

  /// The CPU's int8 tile (vector decode, no 16x8 blocks): per weight row and
  /// chunk, the chunk's groups of 32 codes and their scales are decoded once
  /// into registers (no stage), then every activation row of the tile
  /// reuses them: register blocking across M, so a tile of 8 rows decodes
  /// each weight once, not 8 times. Rows are the outer loop so that one
  /// thread streams one packed row at a time. Per (activation row, chunk):
  /// the groups' pair sums, one i32 sum per group, times the weight and the
  /// activation scales of the groups, added to that activation row's f32
  /// lanes (one per group of the chunk) in a small stage; one reduction per
  /// (m, n) at the end of the row writes y.
  void registerBlockedTile() {
    int64_t groups = chunk / kActivationBlock;
    auto v32i8 = VectorType::get({kActivationBlock}, b.getI8Type());
    auto laneType = VectorType::get({groups}, b.getF32Type());
    // One row per activation row of the tile (tileRows bounds N, not M).
    Value acc = memref::AllocaOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, groups}, b.getF32Type()),
        ValueRange{m});
    // VNNI: the tile's activations made unsigned once, not per weight row;
    // or, where the codes are unsigned bytes w + offset at no or one op's
    // cost (q4's stored nibbles, q8's sign bit flipped), the codes are
    // vpdpbusd's unsigned operand and x stays signed, and the offset's
    // products, offset * (sum of x over the group), come off once per
    // (activation row, group) instead of a bias per weight group. No lane
    // overflows: w + offset <= 255 and |x| <= 128.
    int64_t offset = vnni ? decoder->codeOffset() : 0;
    Value activations =
        vnni && !offset ? biasedActivations() : op.getInput();
    Value offsetProducts = offset ? activationSums(offset) : Value();
    parallel({n}, [&](ValueRange iv) {
      Value row = iv[0];
      Value zero = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(laneType, 0.0f));
      forEachRow([&](Value mIdx) {
        vector::StoreOp::create(b, loc, zero, acc, ValueRange{mIdx, index(0)});
      });
      auto chunks =
          scf::ForOp::create(b, loc, index(0), index(k / chunk), index(1));
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(chunks.getBody());
        Value first = mul(chunks.getInductionVar(), index(chunk));
        SmallVector<Value> codes = chunkCodes(row, first, offset != 0);
        SmallVector<Value> initial;
        for (Value w : codes)
          initial.push_back(vnni && !offset ? vnniBias(w) : Value());
        Value weightScales = chunkScales(row, first, groups);
        Value firstGroup =
            arith::DivUIOp::create(b, loc, first, index(kActivationBlock));
        forEachRow([&](Value mIdx) {
          SmallVector<Value> sums;
          for (int64_t g = 0; g < groups; ++g) {
            Value x = vector::LoadOp::create(
                b, loc, v32i8, activations,
                ValueRange{mIdx, add(first, index(g * kActivationBlock))});
            if (offset)
              sums.push_back(dotBytes(zeroLanes(), codes[g], x));
            else
              sums.push_back(vnni ? dotBytes(initial[g], x, codes[g])
                                  : int8PairSums(codes[g], x));
          }
          Value xs = vector::LoadOp::create(b, loc, laneType,
                                            op.getInputScales(),
                                            ValueRange{mIdx, firstGroup});
          Value dots = groupSums(sums);
          if (offset)
            dots = arith::SubIOp::create(
                b, loc, dots,
                vector::LoadOp::create(
                    b, loc, VectorType::get({groups}, b.getI32Type()),
                    offsetProducts, ValueRange{mIdx, firstGroup}));
          Value total = arith::SIToFPOp::create(b, loc, laneType, dots);
          Value term = arith::MulFOp::create(
              b, loc, arith::MulFOp::create(b, loc, total, weightScales), xs,
              contract());
          SmallVector<Value, 2> at{mIdx, index(0)};
          Value old = vector::LoadOp::create(b, loc, laneType, acc, at);
          vector::StoreOp::create(
              b, loc, arith::AddFOp::create(b, loc, old, term, contract()),
              acc, at);
        });
      }
      forEachRow([&](Value mIdx) {
        Value lanes = vector::LoadOp::create(b, loc, laneType, acc,
                                             ValueRange{mIdx, index(0)});
        Value sum = vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD, lanes,
            arith::FastMathFlags::reassoc);
        storeResult(sum, ValueRange{mIdx, row});
      });
    });
  }

  /// i32 lanes of a 512-bit vpdpbusd: weight rows per panel vector.
  static constexpr int64_t kPanelLanes = 16;
  /// Accumulator vectors of a panel block: rows x vectors, kept in
  /// registers (with as many i32 ones) beside the weights.
  static constexpr int64_t kPanelAccumulators = 8;
  /// Activation rows from which panels beat register blocking.
  static constexpr int64_t kPanelMinRows = 4;
  /// Weight rows of a panel slice, at most: its stages stay in L1 and its
  /// accumulators in registers; wider tiles (TwinQuant's fused kernel's)
  /// run slice after slice.
  static constexpr int64_t kPanelMaxColumns = 64;

  /// Tiles of at least kPanelMinRows activation rows and a static N of
  /// whole panel vectors run as panels with VNNI: one decode of a weight
  /// feeds enough rows that the product, not the decode, is the cost, and
  /// the product as outer products has no reductions.
  bool usesPanels() {
    std::optional<int64_t> rows = staticBound(op.getResult(), 0);
    return vnni && rows && *rows >= kPanelMinRows &&
           tileRows % kPanelLanes == 0;
  }

  /// Panels from kPanelMinRows activation rows, register blocking below,
  /// chosen per call: M is known only then.
  void panelsOrRows() {
    Value enough = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, m,
                                         index(kPanelMinRows));
    auto choice = scf::IfOp::create(b, loc, enough, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(choice.thenBlock()->getTerminator());
    panelTile();
    b.setInsertionPoint(choice.elseBlock()->getTerminator());
    registerBlockedTile();
  }

  /// The CPU's int8 tile as panels (VNNI): per chunk, the tile's weight
  /// codes are decoded once, row by row, then transposed into a stage in
  /// vpdpbusd's layout (per group of 32 and quad of 4 columns, the quads of
  /// all tile rows side by side: a 512-bit load holds one quad of 16 rows),
  /// with their scales and their bias (see vnniBias) per (group, row).
  /// Then per block of activation rows, per group: one vpdpbusd per
  /// (activation row, vector of 16 weight rows) and quad, the activation
  /// row's 4 bytes broadcast,
  /// into i32 lanes that start from the bias; each group's i32 sums times
  /// the weight and activation scales added to f32 lanes that live in
  /// registers over the chunk and in a stage between chunks. A tile wider
  /// than kPanelMaxColumns runs as slices of that many weight rows, one
  /// after the other. Past N (and past M) the last row is read again and
  /// never stored.
  void panelTile() {
    int64_t groups = chunk / kActivationBlock;
    int64_t quads = kActivationBlock / 4;
    int64_t vectors = panelWidth / kPanelLanes;
    int64_t blockRows = std::max<int64_t>(1, kPanelAccumulators / vectors);
    int64_t staticM = *staticBound(op.getResult(), 0);
    int64_t paddedM = (staticM + blockRows - 1) / blockRows * blockRows;
    Type i32 = b.getI32Type(), f32Type = b.getF32Type();
    Value rowCodes = stage(panelWidth, chunk, b.getI8Type());
    Value codes = stage(groups * quads, panelWidth, i32);
    Value scales = stage(groups, panelWidth, f32Type);
    Value biases = stage(groups, panelWidth, i32);
    Value acc = stage(paddedM, panelWidth, f32Type);
    Value activations = biasedActivations();
    Value slices = arith::CeilDivUIOp::create(b, loc, n, index(panelWidth));
    loop(slices, [&](Value slice) {
      Value sliceRow = mul(slice, index(panelWidth));
      zeroFill(acc);
      auto chunks =
          scf::ForOp::create(b, loc, index(0), index(k / chunk), index(1));
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(chunks.getBody());
        Value first = mul(chunks.getInductionVar(), index(chunk));
        decodeRows(rowCodes, scales, first, groups, sliceRow);
        interleavePanel(rowCodes, codes, biases, groups);
        Value blocks = arith::CeilDivUIOp::create(b, loc, m, index(blockRows));
        loop(blocks, [&](Value block) {
          panelBlock(codes, scales, biases, acc, activations, first,
                     mul(block, index(blockRows)), blockRows, groups);
        });
      }
      parallel({m, index(panelWidth)}, [&](ValueRange iv) {
        Value col = add(sliceRow, iv[1]);
        Value inside =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, n);
        auto store = scf::IfOp::create(b, loc, inside);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(store.thenBlock()->getTerminator());
        storeResult(memref::LoadOp::create(b, loc, acc, iv),
                    ValueRange{iv[0], col});
      });
    });
  }

  /// The chunk's codes of the slice's weight rows from `sliceRow`, row by
  /// row ([row, column], one vector store per group), and the groups'
  /// scales, [group, row]. Rows past N decode the last row again: their
  /// lanes are never stored.
  void decodeRows(Value rowCodes, Value scales, Value first, int64_t groups,
                  Value sliceRow) {
    Value lastRow = arith::SubIOp::create(b, loc, n, index(1));
    parallel({index(panelWidth)}, [&](ValueRange iv) {
      Value slot = iv[0];
      Value row = arith::MinSIOp::create(b, loc, add(sliceRow, slot), lastRow);
      for (auto [g, w] : llvm::enumerate(chunkCodes(row, first, false)))
        vector::StoreOp::create(b, loc, w, rowCodes,
                                ValueRange{slot, index(g * kActivationBlock)});
      Value chunkScale = chunkScales(row, first, groups);
      for (int64_t g = 0; g < groups; ++g)
        memref::StoreOp::create(b, loc,
                                vector::ExtractOp::create(b, loc, chunkScale, g),
                                scales, ValueRange{index(g), slot});
    });
  }

  /// The row-major codes into vpdpbusd's layout, per (group, 16 rows):
  /// the 16 rows' 8 quads (i32) transposed by shuffles into 8 vectors of one
  /// quad of 16 rows, stored at [group * 8 + quad, rows]; and the rows'
  /// biases, -128 times the group's codes summed, where the i32 lanes that
  /// take (x + 128) w start (see vnniBias).
  void interleavePanel(Value rowCodes, Value codes, Value biases,
                       int64_t groups) {
    int64_t quads = kActivationBlock / 4;
    auto v32i8 = VectorType::get({kActivationBlock}, b.getI8Type());
    auto words = VectorType::get({quads}, b.getI32Type());
    auto v16i32 = VectorType::get({kPanelLanes}, b.getI32Type());
    auto v64i8 = VectorType::get({4 * kPanelLanes}, b.getI8Type());
    parallel({index(groups), index(panelWidth / kPanelLanes)}, [&](ValueRange iv) {
      Value row0 = mul(iv[1], index(kPanelLanes));
      Value col = mul(iv[0], index(kActivationBlock));
      SmallVector<Value> rows;
      for (int64_t r = 0; r < kPanelLanes; ++r)
        rows.push_back(vector::BitCastOp::create(
            b, loc, words,
            vector::LoadOp::create(b, loc, v32i8, rowCodes,
                                   ValueRange{add(row0, index(r)), col})));
      SmallVector<Value> byQuad = transposeQuads(rows);
      Value zero =
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(v16i32, 0));
      Value bias = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(v64i8, int8_t(-128)));
      Value sum = zero;
      for (int64_t q = 0; q < quads; ++q) {
        vector::StoreOp::create(
            b, loc, byQuad[q], codes,
            ValueRange{add(mul(iv[0], index(quads)), index(q)), row0});
        sum = dotBytes(sum, bias,
                       vector::BitCastOp::create(b, loc, v64i8, byQuad[q]));
      }
      vector::StoreOp::create(b, loc, arith::SubIOp::create(b, loc, zero, sum),
                              biases, ValueRange{iv[0], row0});
    });
  }

  /// 16 rows of 8 quads (vector<8xi32> each) as 8 vectors of 16 rows, one
  /// per quad: pairs of rows merged into 16 lanes, then three levels of
  /// two-source shuffles, each splitting its quads in halves and doubling
  /// the rows (32 shuffles in all, about one vpermt2d each, against 128
  /// extracts and stores). Every vector tracks its lanes as (quad, row),
  /// sorted, and each mask comes from them.
  SmallVector<Value> transposeQuads(ArrayRef<Value> rows) {
    using Lane = std::pair<int64_t, int64_t>; // (quad, row)
    struct Part {
      Value value;
      SmallVector<Lane> lanes;
    };
    int64_t quads = kActivationBlock / 4;
    // x's and y's lanes with quads in [from, from + count), sorted.
    auto merge = [&](const Part &x, const Part &y, int64_t from,
                     int64_t count) {
      SmallVector<std::pair<Lane, int64_t>> picked; // lane, source index
      for (auto [i, lane] : llvm::enumerate(x.lanes))
        picked.push_back({lane, int64_t(i)});
      for (auto [i, lane] : llvm::enumerate(y.lanes))
        picked.push_back({lane, int64_t(x.lanes.size() + i)});
      llvm::erase_if(picked, [&](auto &p) {
        return p.first.first < from || p.first.first >= from + count;
      });
      llvm::sort(picked);
      Part out;
      SmallVector<int64_t> mask;
      for (auto [lane, source] : picked) {
        out.lanes.push_back(lane);
        mask.push_back(source);
      }
      out.value = shuffle(x.value, y.value, mask);
      return out;
    };
    SmallVector<Part> parts;
    for (size_t r = 0; r < rows.size(); r += 2) {
      Part x{rows[r], {}}, y{rows[r + 1], {}};
      for (int64_t q = 0; q < quads; ++q) {
        x.lanes.push_back({q, int64_t(r)});
        y.lanes.push_back({q, int64_t(r + 1)});
      }
      parts.push_back(merge(x, y, 0, quads));
    }
    for (int64_t span = quads; span > 1; span /= 2) {
      SmallVector<Part> next(parts.size());
      size_t half = parts.size() / 2;
      for (size_t p = 0; p < half; ++p) {
        const Part &x = parts[2 * p], &y = parts[2 * p + 1];
        int64_t from = x.lanes.front().first;
        next[p] = merge(x, y, from, span / 2);
        next[half + p] = merge(x, y, from + span / 2, span / 2);
      }
      parts = std::move(next);
    }
    SmallVector<Value> byQuad(quads);
    for (Part &part : parts)
      byQuad[part.lanes.front().first] = part.value;
    return byQuad;
  }

  /// The panel's 16 weight rows from `row` at `quadRow` as vpdpbusd's
  /// signed operand.
  Value panelWeights(Value codes, Value quadRow, Value row) {
    auto v16i32 = VectorType::get({kPanelLanes}, b.getI32Type());
    return vector::BitCastOp::create(
        b, loc, VectorType::get({4 * kPanelLanes}, b.getI8Type()),
        vector::LoadOp::create(b, loc, v16i32, codes, ValueRange{quadRow, row}));
  }

  /// Activation row `row`'s 4 bytes from `col` in all 64 byte lanes.
  Value broadcastQuad(Value activations, Value row, Value col) {
    Value quad = vector::LoadOp::create(
        b, loc, VectorType::get({4}, b.getI8Type()), activations,
        ValueRange{row, col});
    Value word = vector::ExtractOp::create(
        b, loc,
        vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()),
                                  quad),
        0);
    return vector::BitCastOp::create(
        b, loc, VectorType::get({4 * kPanelLanes}, b.getI8Type()),
        vector::BroadcastOp::create(
            b, loc, VectorType::get({kPanelLanes}, b.getI32Type()), word));
  }

  /// One block of `rows` activation rows from `row0` over the chunk: the
  /// f32 lanes of its rows x vectors loaded from `acc`, every group's
  /// products added, stored back.
  void panelBlock(Value codes, Value scales, Value biases, Value acc,
                  Value activations, Value first, Value row0, int64_t rows,
                  int64_t groups) {
    int64_t quads = kActivationBlock / 4;
    int64_t vectors = panelWidth / kPanelLanes;
    auto v16f32 = VectorType::get({kPanelLanes}, b.getF32Type());
    auto v16i32 = VectorType::get({kPanelLanes}, b.getI32Type());
    // Rows past M read the last row: its scales are finite, its lanes
    // are never stored.
    Value lastRow = arith::SubIOp::create(b, loc, m, index(1));
    SmallVector<Value> xRows, sums;
    for (int64_t i = 0; i < rows; ++i) {
      Value r = add(row0, index(i));
      xRows.push_back(arith::MinSIOp::create(b, loc, r, lastRow));
      for (int64_t j = 0; j < vectors; ++j)
        sums.push_back(vector::LoadOp::create(
            b, loc, v16f32, acc, ValueRange{r, index(j * kPanelLanes)}));
    }
    Value firstGroup =
        arith::DivUIOp::create(b, loc, first, index(kActivationBlock));
    auto groupLoop = scf::ForOp::create(b, loc, index(0), index(groups),
                                        index(1), sums);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(groupLoop.getBody());
      Value g = groupLoop.getInductionVar();
      Value col = add(first, mul(g, index(kActivationBlock)));
      SmallVector<Value> bias, ws, dots;
      for (int64_t j = 0; j < vectors; ++j) {
        SmallVector<Value, 2> at{g, index(j * kPanelLanes)};
        bias.push_back(vector::LoadOp::create(b, loc, v16i32, biases, at));
        ws.push_back(vector::LoadOp::create(b, loc, v16f32, scales, at));
      }
      for (int64_t i = 0; i < rows; ++i)
        dots.append(bias);
      for (int64_t q = 0; q < quads; ++q) {
        Value quadRow = add(mul(g, index(quads)), index(q));
        SmallVector<Value> w;
        for (int64_t j = 0; j < vectors; ++j)
          w.push_back(panelWeights(codes, quadRow, index(j * kPanelLanes)));
        for (int64_t i = 0; i < rows; ++i) {
          Value x = broadcastQuad(activations, xRows[i], add(col, index(4 * q)));
          for (int64_t j = 0; j < vectors; ++j)
            dots[i * vectors + j] = dotBytes(dots[i * vectors + j], x, w[j]);
        }
      }
      SmallVector<Value> updated;
      for (int64_t i = 0; i < rows; ++i) {
        Value xs = memref::LoadOp::create(b, loc, op.getInputScales(),
                                          ValueRange{xRows[i], add(firstGroup, g)});
        Value xsLanes = vector::BroadcastOp::create(b, loc, v16f32, xs);
        for (int64_t j = 0; j < vectors; ++j) {
          Value total = arith::SIToFPOp::create(b, loc, v16f32,
                                                dots[i * vectors + j]);
          Value term = arith::MulFOp::create(
              b, loc, total, arith::MulFOp::create(b, loc, ws[j], xsLanes),
              contract());
          updated.push_back(arith::AddFOp::create(
              b, loc, groupLoop.getRegionIterArg(i * vectors + j), term,
              contract()));
        }
      }
      scf::YieldOp::create(b, loc, updated);
    }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j)
        vector::StoreOp::create(
            b, loc, groupLoop.getResult(i * vectors + j), acc,
            ValueRange{add(row0, index(i)), index(j * kPanelLanes)});
  }

  /// The codes of the chunk's groups of 32 from column `first` of `row`,
  /// one vector<32xi8> each: one decode of the chunk's blocks where the
  /// decoder has it, else one vector decode per group (plus the format's
  /// offset where `offset`).
  SmallVector<Value> chunkCodes(Value row, Value first, bool offset) {
    if (decoder->hasBlockCodes(chunk)) {
      assert(!offset && "the grid formats' codes have no offset form");
      return decoder->blockCodes(row, first, chunk);
    }
    SmallVector<Value> codes;
    for (int64_t g = 0; g < chunk / kActivationBlock; ++g) {
      Value col = add(first, index(g * kActivationBlock));
      codes.push_back(offset ? decoder->vectorOffsetCodes(row, col)
                             : decoder->vectorCodes(row, col));
    }
    return codes;
  }

  /// `body(m)` for every activation row m of the tile, in an scf.for.
  void forEachRow(function_ref<void(Value)> body) { loop(m, body); }

  /// The scales of the `groups` groups of 32 from column `first` of `row`
  /// as one vector<groups x f32>: one vector decode per block where the
  /// format has it (grid formats), else one scale() per group.
  Value chunkScales(Value row, Value first, int64_t groups) {
    int64_t perBlock = decoder->vectorScaleGroups();
    if (perBlock == groups)
      return decoder->vectorScales(row, first);
    auto type = VectorType::get({groups}, b.getF32Type());
    if (perBlock > 0 && groups % perBlock == 0) { // several blocks per chunk
      Value scales = arith::ConstantOp::create(
          b, loc, type, DenseElementsAttr::get(type, 0.0f));
      for (int64_t g = 0; g < groups; g += perBlock)
        scales = vector::InsertStridedSliceOp::create(
            b, loc,
            decoder->vectorScales(row, add(first, index(g * kActivationBlock))),
            scales, ArrayRef<int64_t>{g}, ArrayRef<int64_t>{1});
      return scales;
    }
    SmallVector<Value> scales;
    for (int64_t g = 0; g < groups; ++g)
      scales.push_back(
          decoder->scale(row, add(first, index(g * kActivationBlock))));
    return vector::FromElementsOp::create(b, loc, type, scales);
  }

  /// An LLVM intrinsic call with one result.
  Value intrinsic(StringRef name, Type result, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, result,
                                         b.getStringAttr(name), args)
        ->getResult(0);
  }

  /// The products of 32 weight codes `w` and 32 activations `x` (both
  /// vector<32xi8>) summed into 8 i32 lanes; which products share a lane
  /// differs between the two forms, their total does not.
  ///
  /// AVX2: vpmaddubsw multiplies unsigned by signed bytes and adds
  /// adjacent pairs into i16 with saturation, so it gets |x| (vpabsb; as an
  /// unsigned byte |-128| = 128 is exact) and w with x's sign (vpsignb: w *
  /// sign(x), 0 where x is 0), whose product is w * x; then vpmaddwd with
  /// ones adds adjacent i16 pairs into i32. No pair saturates: every
  /// decoder's codes lie in [-127, 127] (q8 clamps to it, q4 is -8..7, the
  /// grid formats -15..15, ptqtp |m1| + |m2| <= 127, twla |c_mu| +
  /// |c_alpha| <= 127), so |w| <= 127, and
  /// |x| <= 128, so a pair is at most 2 * 127 * 128 = 32512 < 32767. (w is
  /// the operand that must not be -128: vpsignb cannot negate it.)
  ///
  /// Generic: the products in i32, even + odd lanes, then the two halves
  /// (LLVM makes vpmovsxbw + vpmaddwd of it where it can).
  Value int8PairSums(Value w, Value x) {
    auto v32i8 = VectorType::get({kActivationBlock}, b.getI8Type());
    auto v16i16 = VectorType::get({16}, b.getI16Type());
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    if (avx2) {
      Value magnitude = LLVM::AbsOp::create(b, loc, v32i8, x,
                                            /*is_int_min_poison=*/false);
      Value signedW = intrinsic("llvm.x86.avx2.psign.b", v32i8, {w, x});
      Value pairs = intrinsic("llvm.x86.avx2.pmadd.ub.sw", v16i16,
                              {magnitude, signedW});
      Value ones = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(v16i16, int16_t(1)));
      return intrinsic("llvm.x86.avx2.pmadd.wd", v8i32, {pairs, ones});
    }
    auto v32i32 = VectorType::get({kActivationBlock}, b.getI32Type());
    Value p = arith::MulIOp::create(
        b, loc, arith::ExtSIOp::create(b, loc, v32i32, w),
        arith::ExtSIOp::create(b, loc, v32i32, x));
    Value pairs = arith::AddIOp::create(b, loc, shuffle(p, p, lanes(16, 0, 2)),
                                        shuffle(p, p, lanes(16, 1, 2)));
    return arith::AddIOp::create(b, loc, shuffle(pairs, pairs, lanes(8, 0, 1)),
                                 shuffle(pairs, pairs, lanes(8, 8, 1)));
  }

  /// VNNI: vpdpbusd adds to each of 8 i32 lanes the products of 4
  /// unsigned bytes by 4 signed ones, without saturation. x is made
  /// unsigned as x + 128 (biasedActivations), so the lanes of each group's
  /// product start from vnniBias(w) = -128 * (the lane's 4 codes summed),
  /// computed once per weight group for every activation row:
  /// (x + 128) w - 128 w = x w. No lane overflows: |w| <= 127 and
  /// x + 128 <= 255.
  Value vnniBias(Value w) {
    auto v32i8 = VectorType::get({kActivationBlock}, b.getI8Type());
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    Value zero =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(v8i32, 0));
    Value bias = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v32i8, int8_t(-128)));
    Value biasProducts = dotBytes(zero, bias, w);
    return arith::SubIOp::create(b, loc, zero, biasProducts);
  }
  /// x + 128 (x xor 0x80) for the tile's activations [M, K], in a stage
  /// written once per tile: each weight row then reads its bytes as they
  /// are.
  Value biasedActivations() {
    auto v32i8 = VectorType::get({kActivationBlock}, b.getI8Type());
    Value biased = memref::AllocaOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, k}, b.getI8Type()),
        ValueRange{m});
    Value signBit = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v32i8, int8_t(-128)));
    parallel({m, index(k / kActivationBlock)}, [&](ValueRange iv) {
      SmallVector<Value, 2> at{iv[0], mul(iv[1], index(kActivationBlock))};
      Value x = vector::LoadOp::create(b, loc, v32i8, op.getInput(), at);
      vector::StoreOp::create(b, loc, arith::XOrIOp::create(b, loc, x, signBit),
                              biased, at);
    });
    return biased;
  }
  /// `offset` times the sum of each group of 32 of the tile's activations,
  /// [M, K / 32] in i32, in a stage written once per tile.
  Value activationSums(int64_t offset) {
    auto v32i8 = VectorType::get({kActivationBlock}, b.getI8Type());
    auto v32i32 = VectorType::get({kActivationBlock}, b.getI32Type());
    int64_t groups = k / kActivationBlock;
    Value sums = memref::AllocaOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic, groups}, b.getI32Type()),
        ValueRange{m});
    Value factor = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(offset));
    parallel({m, index(groups)}, [&](ValueRange iv) {
      Value x = vector::LoadOp::create(
          b, loc, v32i8, op.getInput(),
          ValueRange{iv[0], mul(iv[1], index(kActivationBlock))});
      Value sum = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD,
          arith::ExtSIOp::create(b, loc, v32i32, x));
      memref::StoreOp::create(b, loc, arith::MulIOp::create(b, loc, sum, factor),
                              sums, iv);
    });
    return sums;
  }
  Value zeroLanes() {
    auto v8i32 = VectorType::get({8}, b.getI32Type());
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(v8i32, 0));
  }

  /// acc + vpdpbusd(unsigned bytes u, signed bytes s), in acc's 8 (256-bit)
  /// or 16 (512-bit) i32 lanes.
  Value dotBytes(Value acc, Value u, Value s) {
    int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
    return intrinsic(lanes == 16 ? "llvm.x86.avx512.vpdpbusd.512"
                                 : "llvm.x86.avx512.vpdpbusd.256",
                     acc.getType(), {acc, u, s});
  }

  /// `count` lane numbers from `from` in steps of `step`.
  static SmallVector<int64_t> lanes(int64_t count, int64_t from,
                                    int64_t step) {
    SmallVector<int64_t> mask;
    for (int64_t j = 0; j < count; ++j)
      mask.push_back(from + j * step);
    return mask;
  }
  Value shuffle(Value x, Value y, ArrayRef<int64_t> mask) {
    return vector::ShuffleOp::create(b, loc, x, y, mask);
  }

  /// Adjacent pairs of a and b (8 i32 lanes each) added, per half of 4
  /// lanes: the lanes of vphaddd.
  Value pairAdd(Value a, Value c) {
    return arith::AddIOp::create(b, loc,
                                 shuffle(a, c, {0, 2, 8, 10, 4, 6, 12, 14}),
                                 shuffle(a, c, {1, 3, 9, 11, 5, 7, 13, 15}));
  }

  /// One i32 per group: the sum of the 8 lanes of each of `sums`, as a
  /// vector<groups x i32>. For 8 groups a transposing tree (3 levels of
  /// pair adds, the last across the two halves) instead of 8 reductions:
  /// after two levels lane j of half h of the result holds the sum of
  /// lanes 4h..4h+3 of group j (of 4), and adding the halves finishes it.
  Value groupSums(ArrayRef<Value> sums) {
    if (sums.size() == 8) {
      Value low = pairAdd(pairAdd(sums[0], sums[1]), pairAdd(sums[2], sums[3]));
      Value high = pairAdd(pairAdd(sums[4], sums[5]), pairAdd(sums[6], sums[7]));
      return arith::AddIOp::create(b, loc,
                                   shuffle(low, high, {0, 1, 2, 3, 8, 9, 10, 11}),
                                   shuffle(low, high, {4, 5, 6, 7, 12, 13, 14, 15}));
    }
    SmallVector<Value> totals;
    for (Value v : sums)
      totals.push_back(vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, v));
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({int64_t(sums.size())}, b.getI32Type()),
        totals);
  }

  /// sum over the 32 columns of group g of code * x, in i32.
  Value integerDot(Value codes, Value mIdx, Value nIdx, Value first, Value g) {
    Value e = arith::MulIOp::create(b, loc, g, index(kActivationBlock));
    return DotI8Op::create(b, loc, codes, nIdx, e, op.getInput(), mIdx,
                           add(first, e), kActivationBlock);
  }

  MatmulIntoOp op;
  FormatAttr format;
  int64_t k, chunk, tileRows, mmaRows;
  bool vectorDecode, avx2, vnni, vbmi;
  ModuleOp module;
  std::optional<BlockDecoder> decoder;
  /// Whether the decode phases use vectorCodes().
  bool vectorized = false;
  /// Weight rows of a panel slice (panelTile).
  int64_t panelWidth = std::min(tileRows, kPanelMaxColumns);
  /// [M, chunk] f32: the chunk's activations rotated (rotation<weight> on
  /// the CPU's float product); null otherwise.
  Value rotatedActivations;
  Value m, n;
};

/// itq3.quantize_act_into -> scf.forall over (row, block) tiles: stage the
/// block (times the seeded signs), rotate it, then per 32 take the largest
/// magnitude for the scale and round. Computes exactly what itq3.fwht +
/// itq3.quantize_act define (divisions, not reciprocals, and rounding of
/// halves away from zero built from the exact fractional part). With `kron`
/// or `bits` a tile is a whole row: the Kronecker rotation mixes all of it,
/// and TWLA's scale is the row's. Sums run in the order of lib/Format's
/// kronRotate, so the rotated row is bit-identical to it.
class ActivationLowering : public PhaseBuilder {
public:
  /// `vectorCode`: the phases may use vector ops (the CPU's mapping).
  ActivationLowering(QuantizeActIntoOp op, bool vectorCode, ModuleOp module)
      : PhaseBuilder(op), op(op), module(module), vectorCode(vectorCode),
        k(op.getInput().getType().getDimSize(1)),
        block(op.getKronC() || op.getBits() ? k
              : op.getRotate()              ? op.getRotationBlock()
              : k % kWideChunk == 0         ? kWideChunk
                                            : kActivationBlock) {}

  LogicalResult run() {
    if (op.getRotate() && block != op.getRotationBlock())
      return op.emitOpError("rotate with bits(b) is not lowered (rotate the "
                            "activations with kron, or quantize per 32)");
    Value signs;
    if (std::optional<int64_t> seed = op.getSeed())
      signs = loadGlobal(
          b, loc, getOrCreateSignTable(module, uint64_t(*seed), k));
    scf::ForallOp forall = createTileLoop(b, loc, dim(op.getInput(), 0),
                                          b.getIndexAttr(k / block));
    b.setInsertionPointToStart(forall.getBody());
    Value row = forall.getInductionVar(0);
    Value first = mul(forall.getInductionVar(1), index(block));
    Value stage = rowStage();
    Value zero = index(0);
    parallel({index(block)}, [&](ValueRange iv) {
      Value col = add(first, iv[0]);
      Value x = memref::LoadOp::create(b, loc, op.getInput(), ValueRange{row, col});
      if (signs)
        x = arith::MulFOp::create(
            b, loc, x, memref::LoadOp::create(b, loc, signs, ValueRange{col}));
      memref::StoreOp::create(b, loc, x, stage, ValueRange{zero, iv[0]});
    });
    if (op.getRotate())
      StageFWHTOp::create(b, loc, stage, index(1));
    if (op.getKronC())
      kronRotate(stage);
    if (op.getBits())
      parallel({index(1)}, [&](ValueRange) { quantizeRowAsymmetric(stage, row); });
    else
      parallel({index(block / kActivationBlock)}, [&](ValueRange iv) {
        quantizeGroup(stage, row, first, iv[0]);
      });
    op.erase();
    return success();
  }

private:
  Value rowStage() {
    return memref::AllocaOp::create(
        b, loc, MemRefType::get({1, block}, b.getF32Type()));
  }
  Value at(Value stage, Value e) {
    return memref::LoadOp::create(b, loc, stage, ValueRange{index(0), e});
  }

  /// sum over j < n of term(j), from 0 upwards in f32 (lanes of
  /// `laneType` summed each on its own when given).
  Value sum(int64_t n, function_ref<Value(Value)> term,
            VectorType laneType = {}) {
    Value zero = laneType ? arith::ConstantOp::create(
                                b, loc, b.getZeroAttr(laneType))
                                .getResult()
                          : f32(0.0);
    return fold(n, zero, [&](Value j, Value acc) {
      return arith::AddFOp::create(b, loc, acc, term(j)).getResult();
    });
  }

  /// The staged row X (l x r) becomes C X B^T: T = X B^T into a second
  /// stage, then C T back into the first, one phase each. With vector code
  /// (the CPU), each phase runs over (row, lanes of columns), every lane
  /// summing its own output in the scalar order (so the result stays bit
  /// for bit lib/Format's), and B is first transposed into a stage so that
  /// the lanes read B^T's rows.
  void kronRotate(Value stage) {
    Value c = op.getKronC(), bm = op.getKronB();
    int64_t l = cast<MemRefType>(c.getType()).getDimSize(0);
    int64_t r = cast<MemRefType>(bm.getType()).getDimSize(0);
    Value t = rowStage();
    auto load2 = [&](Value m, Value i, Value j) {
      return memref::LoadOp::create(b, loc, m, ValueRange{i, j}).getResult();
    };
    auto flat = [&](Value i, Value j) { return add(mul(i, index(r)), j); };
    int64_t lanes = vectorCode ? kronLanes(r) : 1;
    if (lanes == 1) {
      parallel({index(l), index(r)}, [&](ValueRange iv) {
        Value s = sum(r, [&](Value kk) {
          return arith::MulFOp::create(b, loc, at(stage, flat(iv[0], kk)),
                                       load2(bm, iv[1], kk));
        });
        memref::StoreOp::create(b, loc, s, t,
                                ValueRange{index(0), flat(iv[0], iv[1])});
      });
      parallel({index(l), index(r)}, [&](ValueRange iv) {
        Value s = sum(l, [&](Value m) {
          return arith::MulFOp::create(b, loc, load2(c, iv[0], m),
                                       at(t, flat(m, iv[1])));
        });
        memref::StoreOp::create(b, loc, s, stage,
                                ValueRange{index(0), flat(iv[0], iv[1])});
      });
      return;
    }
    auto type = VectorType::get({lanes}, b.getF32Type());
    Value bt = memref::AllocaOp::create(
        b, loc, MemRefType::get({r, r}, b.getF32Type()));
    parallel({index(r), index(r)}, [&](ValueRange iv) {
      memref::StoreOp::create(b, loc, load2(bm, iv[1], iv[0]), bt,
                              ValueRange{iv[0], iv[1]});
    });
    auto splat = [&](Value v) {
      return vector::BroadcastOp::create(b, loc, type, v).getResult();
    };
    auto lanesAt = [&](Value m, Value i, Value j) {
      return vector::LoadOp::create(b, loc, type, m, ValueRange{i, j})
          .getResult();
    };
    parallel({index(l), index(r / lanes)}, [&](ValueRange iv) {
      Value j0 = mul(iv[1], index(lanes));
      Value s = sum(
          r,
          [&](Value kk) {
            return arith::MulFOp::create(b, loc, splat(at(stage, flat(iv[0], kk))),
                                         lanesAt(bt, kk, j0));
          },
          type);
      vector::StoreOp::create(b, loc, s, t,
                              ValueRange{index(0), flat(iv[0], j0)});
    });
    parallel({index(l), index(r / lanes)}, [&](ValueRange iv) {
      Value j0 = mul(iv[1], index(lanes));
      Value s = sum(
          l,
          [&](Value m) {
            return arith::MulFOp::create(b, loc, splat(load2(c, iv[0], m)),
                                         lanesAt(t, index(0), flat(m, j0)));
          },
          type);
      vector::StoreOp::create(b, loc, s, stage,
                              ValueRange{index(0), flat(iv[0], j0)});
    });
  }

  /// Lanes of the vector Kronecker phases: the widest of 16, 8 and 4 that
  /// divides r, or 1 (scalar phases).
  static int64_t kronLanes(int64_t r) {
    for (int64_t lanes : {16, 8, 4})
      if (r % lanes == 0)
        return lanes;
    return 1;
  }

  /// f32 v rounded to the nearest integer, halves to even, for |v| < 2^22:
  /// adding and subtracting 1.5 * 2^23 leaves no fraction bits.
  Value roundEven(Value v) {
    Value magic = f32(12582912.0);
    return arith::SubFOp::create(b, loc, arith::AddFOp::create(b, loc, v, magic),
                                 magic);
  }
  Value clampF(Value v, double lo, double hi) {
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, v, f32(lo)), f32(hi));
  }

  /// TWLA's per-row asymmetric quantization (itq3.quantize_act): the int8
  /// value q - z and the row's scale in every group.
  void quantizeRowAsymmetric(Value stage, Value row) {
    double levels = double((int64_t(1) << *op.getBits()) - 1);
    double clip = op.getClip() ? op.getClip()->convertToDouble() : 1.0;
    auto range = scf::ForOp::create(b, loc, index(1), index(k), index(1),
                                    ValueRange{at(stage, index(0)), at(stage, index(0))});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(range.getBody());
      Value v = at(stage, range.getInductionVar());
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::MinimumFOp::create(b, loc, range.getRegionIterArg(0), v),
                     arith::MaximumFOp::create(b, loc, range.getRegionIterArg(1), v)});
    }
    Value lo = arith::MulFOp::create(b, loc, f32(clip), range.getResult(0));
    Value hi = arith::MulFOp::create(b, loc, f32(clip), range.getResult(1));
    Value spread = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, hi, lo);
    Value scale = arith::DivFOp::create(
        b, loc, arith::SubFOp::create(b, loc, hi, lo), f32(levels));
    Value zeroPoint = roundEven(clampF(
        arith::DivFOp::create(b, loc, arith::NegFOp::create(b, loc, lo), scale),
        levels - 127, 127));
    // A row of one value v keeps it: code 1 under the scale v.
    Value rowScale = arith::SelectOp::create(b, loc, spread, scale, range.getResult(0));
    auto groups = scf::ForOp::create(b, loc, index(0), index(k / kActivationBlock),
                                     index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(groups.getBody());
      memref::StoreOp::create(b, loc, rowScale, op.getScales(),
                              ValueRange{row, groups.getInductionVar()});
    }
    auto loop = scf::ForOp::create(b, loc, index(0), index(k), index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value e = loop.getInductionVar();
    Value ratio = clampF(arith::DivFOp::create(b, loc, at(stage, e), scale),
                         -2097152.0, 2097152.0); // 2^21: q clamps anyway
    Value q = clampF(arith::AddFOp::create(b, loc, roundEven(ratio), zeroPoint),
                     0, levels);
    Value code = arith::SelectOp::create(
        b, loc, spread, arith::SubFOp::create(b, loc, q, zeroPoint), f32(1.0));
    Value i8 = arith::TruncIOp::create(
        b, loc, b.getI8Type(),
        arith::FPToSIOp::create(b, loc, b.getI32Type(), code));
    memref::StoreOp::create(b, loc, i8, op.getValues(), ValueRange{row, e});
  }

  /// The staged value e, times the 1/sqrt(block) of the FWHT when rotating.
  Value staged(Value stage, Value e) {
    Value v = at(stage, e);
    return op.getRotate()
               ? arith::MulFOp::create(b, loc, v, f32(fwhtScale(block)))
               : v;
  }

  /// scale = max |v| / 127 over the 32 values of group g; q = round(v / scale).
  void quantizeGroup(Value stage, Value row, Value first, Value g) {
    Value base = mul(g, index(kActivationBlock));
    auto maxLoop = scf::ForOp::create(b, loc, index(0), index(kActivationBlock),
                                      index(1), ValueRange{f32(0.0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(maxLoop.getBody());
      Value v = staged(stage, add(base, maxLoop.getInductionVar()));
      Value magnitude =
          arith::MaximumFOp::create(b, loc, v, arith::NegFOp::create(b, loc, v));
      scf::YieldOp::create(b, loc,
                           arith::MaximumFOp::create(
                               b, loc, maxLoop.getRegionIterArg(0), magnitude)
                               .getResult());
    }
    Value scale = arith::DivFOp::create(b, loc, maxLoop.getResult(0), f32(127.0));
    Value group = add(arith::DivUIOp::create(b, loc, first,
                                             index(kActivationBlock)),
                      g);
    memref::StoreOp::create(b, loc, scale, op.getScales(), ValueRange{row, group});
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                           scale, f32(0.0));
    auto loop = scf::ForOp::create(b, loc, index(0), index(kActivationBlock),
                                   index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value e = add(base, loop.getInductionVar());
    Value ratio = arith::SelectOp::create(
        b, loc, positive,
        arith::DivFOp::create(b, loc, staged(stage, e), scale), f32(0.0));
    memref::StoreOp::create(b, loc, roundToInt8(ratio), op.getValues(),
                            ValueRange{row, add(first, e)});
  }

  /// Nearest integer, halves away from zero: the truncation plus one step
  /// when the exact fractional part reaches 0.5 (|x| <= 127 here).
  Value roundToInt8(Value x) {
    Type i32 = b.getI32Type();
    Value truncated = arith::FPToSIOp::create(b, loc, i32, x);
    Value fraction = arith::SubFOp::create(
        b, loc, x, arith::SIToFPOp::create(b, loc, b.getF32Type(), truncated));
    auto step = [&](arith::CmpFPredicate pred, double bound, int64_t by) {
      Value cond = arith::CmpFOp::create(b, loc, pred, fraction, f32(bound));
      return arith::SelectOp::create(
          b, loc, cond, arith::ConstantIntOp::create(b, loc, i32, by),
          arith::ConstantIntOp::create(b, loc, i32, 0));
    };
    Value rounded = arith::AddIOp::create(
        b, loc, truncated,
        arith::AddIOp::create(b, loc, step(arith::CmpFPredicate::OGE, 0.5, 1),
                              step(arith::CmpFPredicate::OLE, -0.5, -1)));
    return arith::TruncIOp::create(b, loc, b.getI8Type(), rounded);
  }

  QuantizeActIntoOp op;
  ModuleOp module;
  bool vectorCode;
  int64_t k, block;
};

/// itq3.lowrank_expand_into: y[m, c] = sum_j t[m, j] U^T[j, column + c],
/// the rank summed from j = 0 upwards in f32, per (row, column) with the
/// scalar decode, or per 32 columns with one vector decode of U^T's block
/// per rank step (for all the rows).
class LowRankLowering : public PhaseBuilder {
public:
  LowRankLowering(LowRankExpandIntoOp op, bool vectorDecode)
      : PhaseBuilder(op), op(op), vectorDecode(vectorDecode),
        rank(op.getInput().getType().getDimSize(1)) {}

  void run() {
    BlockDecoder u(b, loc, op.getFactors(), op.getUt(), Value());
    Value rows = dim(op.getResult(), 0), cols = dim(op.getResult(), 1);
    if (vectorDecode && u.hasVectorCodes()) {
      // One row: its sums stay in registers over the rank. More rows: each
      // block of U^T is decoded once for all of them, the sums kept in the
      // result. Both add the same products in the same order.
      Value blocks = arith::DivUIOp::create(b, loc, cols, index(kWidth));
      auto branch = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rows,
                                index(1)),
          /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(branch.thenBlock()->getTerminator());
      parallel({blocks}, [&](ValueRange iv) {
        Value c = mul(iv[0], index(kWidth));
        Value sum = fold(rank, zeros(), [&](Value j, Value acc) {
          return fma(index(0), j, u.vectorValues(j, add(op.getColumn(), c)),
                     acc);
        });
        vector::StoreOp::create(b, loc, sum, op.getResult(),
                                ValueRange{index(0), c});
      });
      b.setInsertionPoint(branch.elseBlock()->getTerminator());
      parallel({blocks}, [&](ValueRange iv) {
        Value c = mul(iv[0], index(kWidth));
        loop(rows, [&](Value m) {
          vector::StoreOp::create(b, loc, zeros(), op.getResult(),
                                  ValueRange{m, c});
        });
        loop(index(rank), [&](Value j) {
          Value values = u.vectorValues(j, add(op.getColumn(), c));
          loop(rows, [&](Value m) {
            SmallVector<Value, 2> at{m, c};
            Value acc =
                vector::LoadOp::create(b, loc, type(), op.getResult(), at);
            vector::StoreOp::create(b, loc, fma(m, j, values, acc),
                                    op.getResult(), at);
          });
        });
      });
    } else {
      parallel({rows, cols}, [&](ValueRange iv) {
        Value n = add(op.getColumn(), iv[1]);
        Value sum = fold(rank, f32(0.0), [&](Value j, Value acc) {
          Value term =
              arith::MulFOp::create(b, loc, tAt(iv[0], j), u.values(j, n).front());
          return arith::AddFOp::create(b, loc, acc, term).getResult();
        });
        memref::StoreOp::create(b, loc, sum, op.getResult(), iv);
      });
    }
    op.erase();
  }

private:
  static constexpr int64_t kWidth = BlockDecoder::kVectorColumns;
  VectorType type() { return VectorType::get({kWidth}, b.getF32Type()); }
  Value zeros() {
    return arith::ConstantOp::create(b, loc, b.getZeroAttr(type()));
  }
  Value tAt(Value row, Value j) {
    return memref::LoadOp::create(b, loc, op.getInput(), ValueRange{row, j});
  }
  /// acc + t[m, j] * (32 decoded values of U^T's row j).
  Value fma(Value m, Value j, Value values, Value acc) {
    Value t = vector::BroadcastOp::create(b, loc, type(), tAt(m, j));
    return vector::FMAOp::create(b, loc, t, values, acc);
  }

  LowRankExpandIntoOp op;
  bool vectorDecode;
  int64_t rank;
};

struct StageTilesPass
    : public mlir::itq3::impl::ITQ3StageTilesBase<StageTilesPass> {
  using ITQ3StageTilesBase::ITQ3StageTilesBase;

  /// The static tile M when the product can run on 16x8 itq3.mma blocks
  /// (asked for, tile M a multiple of 16, N of 8, chunks a multiple of the
  /// mma step); 0 otherwise.
  int64_t mmaRows(MatmulIntoOp op, int64_t weightRows) {
    std::optional<int64_t> rows = staticBound(op.getInput(), 0);
    int64_t step = MmaOp::stepFor(op.getInput().getType().getElementType());
    if (!mma || !rows || *rows % MmaOp::kRows != 0 ||
        weightRows % MmaOp::kCols != 0 ||
        chunkSize(op) % step != 0)
      return 0;
    return *rows;
  }

  void runOnOperation() override {
    SmallVector<MatmulIntoOp> ops;
    getOperation()->walk([&](MatmulIntoOp op) { ops.push_back(op); });
    for (MatmulIntoOp op : ops) {
      std::optional<int64_t> rows = staticBound(op.getWeight(), 0);
      if (!rows) {
        op.emitError("the stage buffer needs a static bound on the tile's N; "
                     "run --itq3-tile first");
        return signalPassFailure();
      }
      TileLowering(op, *rows, mmaRows(op, *rows), vectorDecode, avx2, vnni, vbmi,
                   getOperation())
          .run();
    }
    SmallVector<LowRankExpandIntoOp> expansions;
    getOperation()->walk(
        [&](LowRankExpandIntoOp op) { expansions.push_back(op); });
    for (LowRankExpandIntoOp op : expansions)
      LowRankLowering(op, vectorDecode).run();
    SmallVector<QuantizeActIntoOp> quantizers;
    getOperation()->walk(
        [&](QuantizeActIntoOp op) { quantizers.push_back(op); });
    for (QuantizeActIntoOp op : quantizers)
      if (failed(ActivationLowering(op, vectorDecode, getOperation()).run()))
        return signalPassFailure();
  }
};

} // namespace
