//===- ITQ3ModelToSCF.cpp - model-level itq3 ops -> loops -----------------===//
//
// The CPU mapping of the ops around the matrix products. Each lowering
// mirrors the arithmetic of lib/Model/Forward.cpp (the reference the
// compiled model is tested against): f64 sums of squares in RMSNorm, f64
// rotary angles, f64 softmax denominators.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "itq3/Transforms/BlockDecoder.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

namespace mlir::itq3 {
#define GEN_PASS_DEF_CONVERTITQ3MODELTOSCF
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

/// Loop and arithmetic helpers at one insertion point.
struct LoopBuilder {
  LoopBuilder(Operation *op) : b(op), loc(op->getLoc()) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value f64(double v) {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  }
  Value dim(Value memref, int64_t d) {
    return memref::DimOp::create(b, loc, memref, d);
  }
  Value load(Value memref, ValueRange indices) {
    return memref::LoadOp::create(b, loc, memref, indices);
  }
  void store(Value v, Value memref, ValueRange indices) {
    memref::StoreOp::create(b, loc, v, memref, indices);
  }
  Value add(Value x, Value y) {
    return isa<IndexType>(x.getType())
               ? arith::AddIOp::create(b, loc, x, y).getResult()
               : arith::AddFOp::create(b, loc, x, y).getResult();
  }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) {
    return isa<IndexType>(x.getType())
               ? arith::MulIOp::create(b, loc, x, y).getResult()
               : arith::MulFOp::create(b, loc, x, y).getResult();
  }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value toF64(Value x) {
    return arith::ExtFOp::create(b, loc, b.getF64Type(), x);
  }
  Value toF32(Value x) {
    return arith::TruncFOp::create(b, loc, b.getF32Type(), x);
  }
  /// An index as f64 (exact for every index a model uses).
  Value indexToF64(Value i) {
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
    return arith::SIToFPOp::create(b, loc, b.getF64Type(), i64);
  }

  /// for i in [lb, ub): body(i), at the current point.
  void forLoop(Value lb, Value ub, function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }
  void forLoop(Value ub, function_ref<void(Value)> body) {
    forLoop(index(0), ub, body);
  }
  /// scf.parallel over [0, ub_i) for each ub: the iterations are
  /// independent (GPU threads, or one after another on the CPU).
  void parallel(ValueRange ubs, function_ref<void(ValueRange)> body) {
    SmallVector<Value> zeros(ubs.size(), index(0)), ones(ubs.size(), index(1));
    auto loop = scf::ParallelOp::create(b, loc, zeros, ubs, ones);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVars());
  }

  /// scf.forall over [0, ub_i) for each ub: iterations the CPU pipeline
  /// spreads over its OpenMP threads.
  void forall(ValueRange ubs, function_ref<void(ValueRange)> body) {
    SmallVector<OpFoldResult> bounds(ubs.begin(), ubs.end());
    auto loop =
        scf::ForallOp::create(b, loc, bounds, ValueRange{}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVars());
  }

  /// A loop over [lb, ub) by `step` carrying `inits`: returns body's last
  /// results.
  SmallVector<Value>
  reduce(Value lb, Value ub, Value step, ValueRange inits,
         function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, step, inits,
        [&](OpBuilder &nested, Location, Value i, ValueRange acc) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(nested.getInsertionBlock());
          scf::YieldOp::create(b, loc, body(i, acc));
        });
    return SmallVector<Value>(loop.getResults());
  }
  /// A loop carrying one value: returns body's last result.
  Value reduce(Value lb, Value ub, Value init,
               function_ref<Value(Value, Value)> body) {
    return reduce(lb, ub, index(1), init, [&](Value i, ValueRange acc) {
      return SmallVector<Value>{body(i, acc.front())};
    }).front();
  }

  /// vector<width x f32> of `memref` at `indices`, and its store.
  Value loadVector(Value memref, ValueRange indices, int64_t width) {
    return vector::LoadOp::create(
        b, loc, VectorType::get({width}, b.getF32Type()), memref, indices);
  }
  void storeVector(Value v, Value memref, ValueRange indices) {
    vector::StoreOp::create(b, loc, v, memref, indices);
  }
  Value zeros(int64_t width) {
    auto type = VectorType::get({width}, b.getF32Type());
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, 0.0f));
  }
  Value lane(Value v, int64_t i) {
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{i});
  }

  OpBuilder b;
  Location loc;
};

void lowerRMSNorm(RMSNormIntoOp op) {
  LoopBuilder l(op);
  Value in = op.getInput(), w = op.getWeight(), out = op.getResult();
  int64_t dim = cast<MemRefType>(in.getType()).getDimSize(1);
  Value width = l.index(dim);
  double eps = op.getEps().convertToFloat();
  l.parallel({l.dim(in, 0)}, [&](ValueRange iv) {
    Value m = iv[0];
    Value ss = l.reduce(l.index(0), width, l.f64(0), [&](Value i, Value acc) {
      Value x = l.toF64(l.load(in, {m, i}));
      return l.add(acc, l.mul(x, x));
    });
    Value mean = l.add(l.div(ss, l.f64(double(dim))), l.f64(eps));
    Value scale = l.toF32(
        l.div(l.f64(1.0), math::SqrtOp::create(l.b, l.loc, mean)));
    l.forLoop(width, [&](Value i) {
      Value x = l.load(in, {m, i});
      l.store(l.mul(l.load(w, {i}), l.mul(x, scale)), out, {m, i});
    });
  });
}

/// Workers of a row in the tiled RMSNorm (the GPU's threads of a block).
constexpr int64_t kNormWorkers = 256;

/// RMSNorm as one tile per row (the GPU mapping's block), in three phases:
/// each of kNormWorkers sums the squares of every kNormWorkers-th column in
/// f64 into a stage, one worker adds the stage up into the row's scale,
/// then every column is scaled. The f64 partial sums change the rounding of
/// the reference's sequential sum only far below f32's precision.
void lowerRMSNormInTiles(RMSNormIntoOp op) {
  LoopBuilder l(op);
  Value in = op.getInput(), w = op.getWeight(), out = op.getResult();
  int64_t dim = cast<MemRefType>(in.getType()).getDimSize(1);
  Value width = l.index(dim), workers = l.index(kNormWorkers);
  double eps = op.getEps().convertToFloat();
  l.forall({l.dim(in, 0)}, [&](ValueRange iv) {
    Value m = iv[0];
    Value partial = memref::AllocaOp::create(
        l.b, l.loc, MemRefType::get({kNormWorkers}, l.b.getF64Type()));
    Value scale = memref::AllocaOp::create(
        l.b, l.loc, MemRefType::get({1}, l.b.getF32Type()));
    l.parallel({workers}, [&](ValueRange t) {
      Value ss = l.reduce(t[0], width, workers, ValueRange{l.f64(0)},
                          [&](Value i, ValueRange acc) {
                            Value x = l.toF64(l.load(in, {m, i}));
                            return SmallVector<Value>{
                                l.add(acc.front(), l.mul(x, x))};
                          })
                     .front();
      l.store(ss, partial, {t[0]});
    });
    l.parallel({l.index(1)}, [&](ValueRange) {
      Value ss = l.reduce(l.index(0), workers, l.f64(0), [&](Value t, Value acc) {
        return l.add(acc, l.load(partial, {t}));
      });
      Value mean = l.add(l.div(ss, l.f64(double(dim))), l.f64(eps));
      l.store(l.toF32(l.div(l.f64(1.0), math::SqrtOp::create(l.b, l.loc, mean))),
              scale, {l.index(0)});
    });
    l.parallel({width}, [&](ValueRange i) {
      Value x = l.load(in, {m, i[0]});
      l.store(l.mul(l.load(w, {i[0]}), l.mul(x, l.load(scale, {l.index(0)}))),
              out, {m, i[0]});
    });
  });
}

void lowerRope(RopeOp op) {
  LoopBuilder l(op);
  Value x = op.getX();
  int64_t headDim = op.getHeadDim(), half = headDim / 2;
  int64_t heads = cast<MemRefType>(x.getType()).getDimSize(1) / headDim;
  bool halves = op.getHalves();
  Value base = l.f64(double(op.getBase().convertToFloat()));
  l.parallel({l.dim(x, 0), l.index(half)}, [&](ValueRange iv) {
    Value m = iv[0], i = iv[1];
    Value position = l.indexToF64(l.add(op.getPos(), m));
    {
      // Pair i turns at base^(-2i / headDim), as applyRope computes it.
      Value exponent =
          l.div(l.mul(l.f64(-2.0), l.indexToF64(i)), l.f64(double(headDim)));
      Value freq = math::PowFOp::create(l.b, l.loc, base, exponent);
      Value angle = l.mul(position, freq);
      Value c = l.toF32(math::CosOp::create(l.b, l.loc, angle));
      Value s = l.toF32(math::SinOp::create(l.b, l.loc, angle));
      Value first = halves ? i : l.mul(i, l.index(2));
      Value second = l.add(first, l.index(halves ? half : 1));
      l.forLoop(l.index(heads), [&](Value h) {
        Value offset = l.mul(h, l.index(headDim));
        Value a = l.add(offset, first), bIdx = l.add(offset, second);
        Value x0 = l.load(x, {m, a}), x1 = l.load(x, {m, bIdx});
        l.store(l.sub(l.mul(x0, c), l.mul(x1, s)), x, {m, a});
        l.store(l.add(l.mul(x0, s), l.mul(x1, c)), x, {m, bIdx});
      });
    }
  });
}

/// The new keys and values into the caches at positions pos .. pos + M - 1.
void appendToCache(LoopBuilder &l, AttentionIntoOp op) {
  Value keys = op.getKeys(), values = op.getValues();
  Value width = l.index(op.getKvHeads() * op.getHeadDim());
  l.parallel({l.dim(keys, 0), width}, [&](ValueRange iv) {
    Value m = iv[0], j = iv[1];
    Value slot = l.add(op.getPos(), m);
    l.store(l.load(keys, {m, j}), op.getKeyCache(), {slot, j});
    l.store(l.load(values, {m, j}), op.getValueCache(), {slot, j});
  });
}

/// One (token, head) of an attention: its score row, where its query and
/// its key/value columns start, and how many positions it attends to.
struct Head {
  Value queries, keyCache, valueCache, out;
  Value m, row, qOffset, kvOffset, count;
  int64_t headDim;
};

Head locateHead(LoopBuilder &l, AttentionIntoOp op, Value m, Value h) {
  int64_t hd = op.getHeadDim(), group = op.getHeads() / op.getKvHeads();
  Value headDim = l.index(hd);
  Value kvHead = arith::DivUIOp::create(l.b, l.loc, h, l.index(group));
  return {op.getQueries(),
          op.getKeyCache(),
          op.getValueCache(),
          op.getResult(),
          m,
          l.add(l.mul(m, l.index(op.getHeads())), h),
          l.mul(h, headDim),
          l.mul(kvHead, headDim),
          l.add(l.add(op.getPos(), m), l.index(1)), // positions <= pos + m
          hd};
}

/// scores[row, p] = dot * scale; returns max(max, that score).
Value recordScore(LoopBuilder &l, const Head &a, Value scores, Value p,
                  Value dot, Value max) {
  Value score = l.mul(dot, l.f32(1.0f / std::sqrt(float(a.headDim))));
  l.store(score, scores, {a.row, p});
  return arith::MaximumFOp::create(l.b, l.loc, max, score);
}

Value minusInfinity(LoopBuilder &l) {
  return l.f32(-std::numeric_limits<float>::infinity());
}

/// The scores of positions begin .. end - 1, one sequential dot each;
/// returns their max.
Value scalarScores(LoopBuilder &l, const Head &a, Value scores, Value begin,
                   Value end) {
  Value zero = l.index(0);
  return l.reduce(begin, end, minusInfinity(l), [&](Value p, Value max) {
    Value dot =
        l.reduce(zero, l.index(a.headDim), l.f32(0), [&](Value d, Value s) {
          Value q = l.load(a.queries, {a.m, l.add(a.qOffset, d)});
          Value k = l.load(a.keyCache, {p, l.add(a.kvOffset, d)});
          return l.add(s, l.mul(q, k));
        });
    return recordScore(l, a, scores, p, dot, max);
  });
}

/// q . k_p for each of `positions` in the order of the reference's dot
/// (lib/Model/Matmul.cpp): four lanes over the columns, summed
/// (0 + 1) + (2 + 3), then the remaining columns one by one. The positions
/// share one loop so that their sums, each a chain of dependent adds,
/// overlap.
SmallVector<Value> headDots(LoopBuilder &l, const Head &a,
                            ArrayRef<Value> positions) {
  Value queries = a.queries, keys = a.keyCache;
  int64_t whole = a.headDim / 4 * 4;
  SmallVector<Value> inits(positions.size(), l.zeros(4));
  SmallVector<Value> lanes = l.reduce(
      l.index(0), l.index(whole), l.index(4), inits,
      [&](Value d, ValueRange acc) {
        Value q = l.loadVector(queries, {a.m, l.add(a.qOffset, d)}, 4);
        SmallVector<Value> next;
        for (auto [p, s] : llvm::zip(positions, acc)) {
          Value k = l.loadVector(keys, {p, l.add(a.kvOffset, d)}, 4);
          next.push_back(l.add(s, l.mul(q, k)));
        }
        return next;
      });
  SmallVector<Value> dots;
  for (auto [p, v] : llvm::zip(positions, lanes)) {
    Value s = l.add(l.add(l.lane(v, 0), l.lane(v, 1)),
                    l.add(l.lane(v, 2), l.lane(v, 3)));
    for (int64_t d = whole; d < a.headDim; ++d) {
      Value column = l.index(d);
      Value q = l.load(queries, {a.m, l.add(a.qOffset, column)});
      Value k = l.load(keys, {p, l.add(a.kvOffset, column)});
      s = l.add(s, l.mul(q, k));
    }
    dots.push_back(s);
  }
  return dots;
}

/// The scores with vector dots, four positions per step; returns their max.
Value vectorScores(LoopBuilder &l, const Head &a, Value scores) {
  constexpr int64_t kPositionsPerStep = 4;
  Value step = l.index(kPositionsPerStep);
  Value whole =
      l.mul(arith::DivUIOp::create(l.b, l.loc, a.count, step), step);
  auto scoreAll = [&](ArrayRef<Value> positions, Value max) {
    for (auto [p, dot] : llvm::zip(positions, headDots(l, a, positions)))
      max = recordScore(l, a, scores, p, dot, max);
    return max;
  };
  Value max =
      l.reduce(l.index(0), whole, step, minusInfinity(l),
               [&](Value p, ValueRange acc) {
                 SmallVector<Value> positions;
                 for (int64_t u = 0; u < kPositionsPerStep; ++u)
                   positions.push_back(l.add(p, l.index(u)));
                 return SmallVector<Value>{scoreAll(positions, acc.front())};
               })
          .front();
  return l.reduce(whole, a.count, max,
                  [&](Value p, Value acc) { return scoreAll({p}, acc); });
}

/// scores[row, p] = exp(scores[row, p] - max); returns 1 / their sum (the
/// sum in f64, as the reference's softmax).
Value exponentiate(LoopBuilder &l, const Head &a, Value scores, Value max) {
  Value total =
      l.reduce(l.index(0), a.count, l.f64(0), [&](Value p, Value acc) {
        Value e = math::ExpOp::create(
            l.b, l.loc, l.sub(l.load(scores, {a.row, p}), max));
        l.store(e, scores, {a.row, p});
        return l.add(acc, l.toF64(e));
      });
  return l.toF32(l.div(l.f64(1.0), total));
}

/// out[m, head] = sum_p (scores[row, p] * inverse) v_p, one column at a
/// time through memory.
void scalarWeightedSum(LoopBuilder &l, const Head &a, Value scores,
                       Value inverse) {
  Value out = a.out, headDim = l.index(a.headDim);
  l.forLoop(headDim, [&](Value d) {
    l.store(l.f32(0), out, {a.m, l.add(a.qOffset, d)});
  });
  l.forLoop(a.count, [&](Value p) {
    Value weight = l.mul(l.load(scores, {a.row, p}), inverse);
    l.forLoop(headDim, [&](Value d) {
      Value at = l.add(a.qOffset, d);
      Value v = l.load(a.valueCache, {p, l.add(a.kvOffset, d)});
      l.store(l.add(l.load(out, {a.m, at}), l.mul(weight, v)), out, {a.m, at});
    });
  });
}

/// The weighted sum with the columns in register accumulators: blocks of up
/// to 8 vectors of up to 8 lanes, one pass over the positions per block.
/// Every column still sums over p in order, as the reference's axpy does.
void vectorWeightedSum(LoopBuilder &l, const Head &a, Value scores,
                       Value inverse) {
  int64_t width = 8;
  while (a.headDim % width)
    width /= 2;
  int64_t vectors = a.headDim / width, perBlock = std::min<int64_t>(8, vectors);
  while (vectors % perBlock)
    --perBlock;
  auto type = VectorType::get({width}, l.b.getF32Type());
  for (int64_t start = 0; start < a.headDim; start += width * perBlock) {
    auto column = [&](Value offset, int64_t u) {
      return l.add(offset, l.index(start + u * width));
    };
    SmallVector<Value> inits(perBlock, l.zeros(width));
    SmallVector<Value> sums = l.reduce(
        l.index(0), a.count, l.index(1), inits, [&](Value p, ValueRange acc) {
          Value weight = l.mul(l.load(scores, {a.row, p}), inverse);
          Value w = vector::BroadcastOp::create(l.b, l.loc, type, weight);
          SmallVector<Value> next;
          for (int64_t u = 0; u < perBlock; ++u) {
            Value v = l.loadVector(a.valueCache,
                                   {p, column(a.kvOffset, u)}, width);
            next.push_back(l.add(acc[u], l.mul(w, v)));
          }
          return next;
        });
    for (int64_t u = 0; u < perBlock; ++u)
      l.storeVector(sums[u], a.out, {a.m, column(a.qOffset, u)});
  }
}

/// out[m, head] = softmax(scores) . V for one (token, head), as
/// Forward::attention computes it; `scores` holds its row of scores.
void attendOneHead(LoopBuilder &l, const Head &a, Value scores,
                   bool vectorize) {
  Value max = vectorize ? vectorScores(l, a, scores)
                        : scalarScores(l, a, scores, l.index(0), a.count);
  Value inverse = exponentiate(l, a, scores, max);
  if (vectorize)
    vectorWeightedSum(l, a, scores, inverse);
  else
    scalarWeightedSum(l, a, scores, inverse);
}

Value allocate(LoopBuilder &l, Type element, ValueRange sizes) {
  SmallVector<int64_t> shape(sizes.size(), ShapedType::kDynamic);
  return memref::AllocOp::create(l.b, l.loc, MemRefType::get(shape, element),
                                 sizes);
}

/// What one part of a split attention leaves for the combining loop, per
/// (token, head) row and part: the max of its scores, the f64 sum of
/// exp(score - max) and the weighted sum of its values with those weights.
struct Parts {
  Value count, max, sum, out;
};

/// One (token, head) over positions [begin, min(begin + size, count)):
/// an empty part (past the token's last position) leaves max -inf, sum 0
/// and a zero weighted sum, which the combination weighs by 0.
void attendOnePart(LoopBuilder &l, const Head &a, Value scores, Value part,
                   Value size, const Parts &parts) {
  Value begin = l.mul(part, size);
  Value end = arith::MinUIOp::create(l.b, l.loc, l.add(begin, size), a.count);
  Value max = scalarScores(l, a, scores, begin, end);
  Value sum = l.reduce(begin, end, l.f64(0), [&](Value p, Value acc) {
    Value e = math::ExpOp::create(l.b, l.loc,
                                  l.sub(l.load(scores, {a.row, p}), max));
    l.store(e, scores, {a.row, p});
    return l.add(acc, l.toF64(e));
  });
  l.store(max, parts.max, {a.row, part});
  l.store(sum, parts.sum, {a.row, part});
  l.forLoop(l.index(a.headDim), [&](Value d) {
    Value acc = l.reduce(begin, end, l.f32(0), [&](Value p, Value acc) {
      Value v = l.load(a.valueCache, {p, l.add(a.kvOffset, d)});
      return l.add(acc, l.mul(l.load(scores, {a.row, p}), v));
    });
    l.store(acc, parts.out, {a.row, part, d});
  });
}

/// out[m, head column d]: the parts rescaled to their common max M,
/// sum_s out_s[d] e^(max_s - M) / sum_s sum_s e^(max_s - M).
void combineParts(LoopBuilder &l, const Head &a, Value d, const Parts &parts) {
  Value zero = l.index(0);
  Value max = l.reduce(zero, parts.count, minusInfinity(l),
                       [&](Value s, Value acc) {
                         return arith::MaximumFOp::create(
                             l.b, l.loc, acc, l.load(parts.max, {a.row, s}));
                       });
  auto scale = [&](Value s) {
    return math::ExpOp::create(l.b, l.loc,
                               l.sub(l.load(parts.max, {a.row, s}), max));
  };
  Value total = l.reduce(zero, parts.count, l.f64(0), [&](Value s, Value acc) {
    return l.add(acc, l.mul(l.load(parts.sum, {a.row, s}), l.toF64(scale(s))));
  });
  Value sum = l.reduce(zero, parts.count, l.f32(0), [&](Value s, Value acc) {
    return l.add(acc, l.mul(l.load(parts.out, {a.row, s, d}), scale(s)));
  });
  l.store(l.mul(sum, l.toF32(l.div(l.f64(1.0), total))), a.out,
          {a.m, l.add(a.qOffset, d)});
}

/// The attention split over parts of `split` x M positions (flash-decoding
/// for M = 1): each (token, head, part) is an iteration of its own, then
/// each (token, head, column) combines its parts. One token of a long
/// context spreads over heads x parts iterations instead of heads; a
/// prompt of many rows, parallel enough already, keeps few parts (and the
/// parts' buffers stay small).
void splitAttention(LoopBuilder &l, AttentionIntoOp op, Value scores,
                    int64_t split) {
  Value rows = l.dim(op.getQueries(), 0);
  Value heads = l.index(op.getHeads());
  Value pairs = l.mul(rows, heads);
  Value size = l.mul(l.index(split), rows);
  Value count = arith::CeilDivUIOp::create(
      l.b, l.loc, l.add(op.getPos(), rows), size);
  Parts parts{count, allocate(l, l.b.getF32Type(), {pairs, count}),
              allocate(l, l.b.getF64Type(), {pairs, count}),
              allocate(l, l.b.getF32Type(),
                       {pairs, count, l.index(op.getHeadDim())})};
  l.parallel({rows, heads, count}, [&](ValueRange iv) {
    attendOnePart(l, locateHead(l, op, iv[0], iv[1]), scores, iv[2], size,
                  parts);
  });
  l.parallel({rows, heads, l.index(op.getHeadDim())}, [&](ValueRange iv) {
    combineParts(l, locateHead(l, op, iv[0], iv[1]), iv[2], parts);
  });
  for (Value buffer : {parts.max, parts.sum, parts.out})
    memref::DeallocOp::create(l.b, l.loc, buffer);
}

void lowerAttention(AttentionIntoOp op, bool vectorize, bool threads,
                    int64_t split) {
  LoopBuilder l(op);
  appendToCache(l, op);
  Value rows = l.dim(op.getQueries(), 0);
  Value heads = l.index(op.getHeads());
  // A score row per (token, head), so that every pair can run at once.
  Value positions = l.add(op.getPos(), rows);
  Value scores = allocate(l, l.b.getF32Type(), {l.mul(rows, heads), positions});
  auto attend = [&](ValueRange iv) {
    attendOneHead(l, locateHead(l, op, iv[0], iv[1]), scores, vectorize);
  };
  if (split > 0)
    splitAttention(l, op, scores, split);
  else if (threads)
    l.forall({rows, heads}, attend);
  else
    l.parallel({rows, heads}, attend);
  memref::DeallocOp::create(l.b, l.loc, scores);
}

/// out[m, n] = f(m, n) over the result's shape.
void elementwise(LoopBuilder &l, Value out,
                 function_ref<Value(Value, Value)> f) {
  l.parallel({l.dim(out, 0), l.dim(out, 1)},
             [&](ValueRange iv) { l.store(f(iv[0], iv[1]), out, iv); });
}

void lowerAdd(AddIntoOp op) {
  LoopBuilder l(op);
  bool broadcast = cast<MemRefType>(op.getRhs().getType()).getRank() == 1;
  elementwise(l, op.getResult(), [&](Value m, Value n) {
    Value rhs = broadcast ? l.load(op.getRhs(), {n})
                          : l.load(op.getRhs(), {m, n});
    return l.add(l.load(op.getLhs(), {m, n}), rhs);
  });
}

void lowerSwiGLU(SwiGLUIntoOp op) {
  LoopBuilder l(op);
  elementwise(l, op.getResult(), [&](Value m, Value n) {
    Value g = l.load(op.getGate(), {m, n});
    Value negated = arith::NegFOp::create(l.b, l.loc, g);
    Value denominator =
        l.add(l.f32(1.0f), math::ExpOp::create(l.b, l.loc, negated));
    return l.mul(l.div(g, denominator), l.load(op.getUp(), {m, n}));
  });
}

void lowerEmbed(EmbedIntoOp op, ModuleOp module) {
  LoopBuilder l(op);
  FormatAttr format = op.getFormat();
  Value grid;
  if (format.getKind() == FormatKind::IQ3)
    grid = loadGlobal(l.b, l.loc, getOrCreateGridTable(module));
  BlockDecoder decoder(l.b, l.loc, format, op.getTable(), grid);
  int64_t step = decoder.columnsPerStep();
  Value out = op.getResult();
  int64_t dim = cast<MemRefType>(out.getType()).getDimSize(1);
  l.parallel({l.dim(out, 0)}, [&](ValueRange iv) {
    Value m = iv[0];
    Value token = l.load(op.getTokens(), {m});
    Value row = arith::IndexCastOp::create(l.b, l.loc, l.b.getIndexType(), token);
    auto loop = scf::ForOp::create(l.b, l.loc, l.index(0), l.index(dim),
                                   l.index(step));
    OpBuilder::InsertionGuard guard(l.b);
    l.b.setInsertionPoint(loop.getBody()->getTerminator());
    Value col = loop.getInductionVar();
    SmallVector<Value> values = decoder.values(row, col);
    for (int64_t e = 0; e < step; ++e)
      l.store(values[e], out, {m, l.add(col, l.index(e))});
  });
}

struct ConvertITQ3ModelToSCF
    : public itq3::impl::ConvertITQ3ModelToSCFBase<ConvertITQ3ModelToSCF> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> lowered;
    module.walk([&](Operation *op) {
      bool known = true;
      if (auto o = dyn_cast<RMSNormIntoOp>(op))
        tiledNorms ? lowerRMSNormInTiles(o) : lowerRMSNorm(o);
      else if (auto o = dyn_cast<RopeOp>(op))
        lowerRope(o);
      else if (auto o = dyn_cast<AttentionIntoOp>(op))
        lowerAttention(o, vectorize, threads, splitPositions);
      else if (auto o = dyn_cast<AddIntoOp>(op))
        lowerAdd(o);
      else if (auto o = dyn_cast<SwiGLUIntoOp>(op))
        lowerSwiGLU(o);
      else if (auto o = dyn_cast<EmbedIntoOp>(op))
        lowerEmbed(o, module);
      else
        known = false;
      if (known)
        lowered.push_back(op);
    });
    for (Operation *op : lowered)
      op->erase();
  }
};

} // namespace
