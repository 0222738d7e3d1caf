//===- QuantizeWeights.cpp - matmuls with constant weights -> itq3 --------===//
//
// linalg.matmul(x, B) with a float constant B becomes
//   itq3.matmul(x, itq3.quantize(W)) [+ accumulator]
// where W is B as [N, K]. The quantize folds to packed bytes later.
//
//===----------------------------------------------------------------------===//
#include "itq3/Transforms/Passes.h"

#include "itq3/Dialect/ITQ3/IR/FormatBridge.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3QUANTIZEWEIGHTS
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

/// How the right-hand side of a matmul stores the weight.
enum class WeightLayout { KN, NK };

std::optional<WeightLayout> weightLayout(linalg::MatmulOp op) {
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps == linalg::MatmulOp::getDefaultIndexingMaps(ctx))
    return WeightLayout::KN;
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> transposedB = AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {n, k}, {m, n}}, ctx);
  if (maps == transposedB)
    return WeightLayout::NK;
  return std::nullopt;
}

/// True if the accumulator is known to be zero, so the matmul result needs
/// no addition.
bool isZeroInit(Value init) {
  if (matchPattern(init, m_AnyZeroFloat()))
    return true;
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// The weight as a row-major [N, K] f32 constant.
DenseElementsAttr weightAsNK(ArrayRef<float> values, RankedTensorType bType,
                             WeightLayout layout) {
  int64_t rows = bType.getDimSize(0), cols = bType.getDimSize(1);
  if (layout == WeightLayout::NK)
    return DenseElementsAttr::get(
        RankedTensorType::get({rows, cols}, Float32Type::get(bType.getContext())),
        values);
  std::vector<float> transposed(values.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      transposed[c * rows + r] = values[r * cols + c];
  return DenseElementsAttr::get(
      RankedTensorType::get({cols, rows}, Float32Type::get(bType.getContext())),
      ArrayRef<float>(transposed));
}

struct QuantizeWeightsPass
    : public mlir::itq3::impl::ITQ3QuantizeWeightsBase<QuantizeWeightsPass> {
  using ITQ3QuantizeWeightsBase::ITQ3QuantizeWeightsBase;

  void runOnOperation() override {
    std::optional<FormatKind> kind = symbolizeFormatKind(format);
    if (!kind) {
      getOperation()->emitError("unknown weight format '")
          << format << "'; expected " << formatNameList();
      return signalPassFailure();
    }
    auto emitError = [&] { return getOperation()->emitError(); };
    if (failed(FormatAttr::verifyInvariants(emitError, *kind, seed)))
      return signalPassFailure();
    formatAttr = FormatAttr::get(&getContext(), *kind, seed);

    SmallVector<linalg::MatmulOp> matmuls;
    getOperation()->walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls)
      if (failed(rewrite(op)))
        return signalPassFailure();
  }

private:
  /// Rewrites one matmul; leaves it alone (success) when it does not apply.
  LogicalResult rewrite(linalg::MatmulOp op) {
    if (!op.hasPureTensorSemantics())
      return success();
    Value x = op.getInputs()[0], b = op.getInputs()[1];
    Value init = op.getOutputs()[0];
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    auto bType = dyn_cast<RankedTensorType>(b.getType());
    auto yType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    DenseElementsAttr bValues;
    if (!xType || !bType || !yType || !matchPattern(b, m_Constant(&bValues)) ||
        !isa<FloatType>(xType.getElementType()) ||
        !isa<FloatType>(yType.getElementType()) || !bType.hasStaticShape())
      return success();
    std::optional<WeightLayout> layout = weightLayout(op);
    if (!layout) {
      op.emitRemark("matmul left in floating point: only the default and "
                    "transposed-B indexing maps are quantized");
      return success();
    }
    int64_t k = bType.getDimSize(*layout == WeightLayout::KN ? 0 : 1);
    int64_t n = bType.getDimSize(*layout == WeightLayout::KN ? 1 : 0);
    if (k % formatAttr.getBlockSize() != 0) {
      op.emitRemark("weight left in floating point: K = ")
          << k << " is not a multiple of the " << format << " block size "
          << formatAttr.getBlockSize();
      return success();
    }
    std::optional<std::vector<float>> values = readFloats(bValues);
    if (!values)
      return success();
    if (failed(checkEncodable(op, *values, *layout, n, k)))
      return failure();

    OpBuilder builder(op);
    Location loc = op.getLoc();
    auto weight = arith::ConstantOp::create(
        builder, loc, weightAsNK(*values, bType, *layout));
    auto packedType =
        PackedWeightType::get(&getContext(), {n, k}, formatAttr);
    auto packed = QuantizeOp::create(builder, loc, packedType, weight);
    Rotation rotation =
        formatAttr.isRotated() ? Rotation::Weight : Rotation::None;
    Value product = MatmulOp::create(
        builder, loc, yType, x, packed, /*input_scales=*/Value(),
        RotationAttr::get(&getContext(), rotation));
    if (!isZeroInit(init))
      product = arith::AddFOp::create(builder, loc, init, product);
    op.getResult(0).replaceAllUsesWith(product);
    op.erase();
    if (Operation *oldWeight = b.getDefiningOp(); oldWeight && oldWeight->use_empty())
      oldWeight->erase();
    return success();
  }

  /// Errors out, naming the matmul, on weights the codec cannot encode
  /// (NaN, Inf, magnitudes beyond the format's fp16 scales) rather than
  /// leaving an unfoldable quantize behind. Every codec encodes rows whose
  /// magnitudes stay below kSafeMagnitude, so only rows above it are
  /// trial-encoded.
  LogicalResult checkEncodable(linalg::MatmulOp op, ArrayRef<float> values,
                               WeightLayout layout, int64_t n, int64_t k) {
    constexpr float kSafeMagnitude = 1e4f;
    auto at = [&](int64_t row, int64_t col) {
      return layout == WeightLayout::KN ? col * n + row : row * k + col;
    };
    std::vector<float> largest(n, 0.0f);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i]))
        return op.emitError("weight element ")
               << i << " is " << values[i] << "; cannot quantize it";
      float &rowMax = largest[layout == WeightLayout::KN ? i % n : i / k];
      rowMax = std::max(rowMax, std::fabs(values[i]));
    }
    auto codec = createCodec(formatAttr);
    auto encodeRows = [&](int64_t first, int64_t count) {
      std::vector<float> rows(count * k);
      for (int64_t r = 0; r < count; ++r)
        for (int64_t c = 0; c < k; ++c)
          rows[r * k + c] = values[at(first + r, c)];
      std::vector<uint8_t> bytes(codec->rowBytes(k) * count);
      return codec->encodeRows(rows.data(), count, k, bytes.data());
    };
    for (int64_t r = 0; r < n; ++r)
      if (largest[r] > kSafeMagnitude && !encodeRows(r, 1).ok())
        // Rows 0..r again, so that the codec's message names the right row.
        return op.emitError("cannot quantize the weight: ")
               << encodeRows(0, r + 1).message();
    return success();
  }

  FormatAttr formatAttr;
};

} // namespace
