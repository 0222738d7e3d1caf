//===- PlaceRotation.cpp - rotate weights or activations ------------------===//
//
// For a rotated weight (q = H D w per 256-block), w . x = q . (H D x): the
// matmul either un-rotates decoded weight tiles (rotation<weight>) or runs on
// activations rotated once per row (rotation<activation>), which also lets
// the product use int8 activations.
//
//===----------------------------------------------------------------------===//
#include "itq3/Transforms/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3PLACEROTATION
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

constexpr int64_t kActivationBlock = 32;

/// The fwht seed attribute for a format seed (nullptr for no signs).
IntegerAttr fwhtSeed(OpBuilder &builder, FormatAttr format) {
  if (format.getSeed() == 0)
    return nullptr;
  return builder.getI64IntegerAttr(static_cast<int64_t>(format.getSeed()));
}

/// fwht(x) -> quantize_act -> integer matmul.
void rotateActivations(MatmulOp op) {
  FormatAttr format = op.getWeight().getType().getFormat();
  auto xType = op.getInput().getType();
  // Every other format's blocks are multiples of 32, so K always splits
  // into activation blocks.
  if (format.getKind() == FormatKind::F16) {
    op.emitRemark("f16 weights keep float activations");
    return;
  }
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  if (format.isRotated())
    x = FWHTOp::create(builder, loc, x, format.getRotationBlockAttr(),
                       fwhtSeed(builder, format));
  int64_t m = xType.getDimSize(0), k = xType.getDimSize(1);
  auto valuesType = RankedTensorType::get({m, k}, builder.getI8Type());
  auto scalesType =
      RankedTensorType::get({m, k / kActivationBlock}, builder.getF32Type());
  auto quantized =
      QuantizeActOp::create(builder, loc, valuesType, scalesType, x);
  Rotation rotation = format.isRotated() ? Rotation::Activation : Rotation::None;
  auto product = MatmulOp::create(
      builder, loc, op.getType(), quantized.getValues(), op.getWeight(),
      quantized.getScales(), RotationAttr::get(op.getContext(), rotation));
  op.replaceAllUsesWith(product.getResult());
  op.erase();
}

/// matmul(fwht(x), W) rotation<activation> -> matmul(x, W) rotation<weight>.
void rotateWeights(MatmulOp op) {
  FormatAttr format = op.getWeight().getType().getFormat();
  auto fwht = op.getInput().getDefiningOp<FWHTOp>();
  if (!fwht || op.getInputScales())
    return;
  OpBuilder builder(op);
  if (fwht.getSeedAttr() != fwhtSeed(builder, format) ||
      fwht.getRotationBlock() != format.getRotationBlock())
    return;
  op.getInputMutable().assign(fwht.getInput());
  op.setRotation(Rotation::Weight);
  if (fwht->use_empty())
    fwht->erase();
}

struct PlaceRotationPass
    : public mlir::itq3::impl::ITQ3PlaceRotationBase<PlaceRotationPass> {
  using ITQ3PlaceRotationBase::ITQ3PlaceRotationBase;

  void runOnOperation() override {
    if (mode != "activation" && mode != "weight") {
      getOperation()->emitError("unknown rotation placement '")
          << mode << "'; expected activation or weight";
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation()->walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      bool floatInput = isa<FloatType>(op.getInput().getType().getElementType());
      Rotation rotation = op.getRotation();
      if (mode == "activation" && floatInput && rotation != Rotation::Activation)
        rotateActivations(op);
      else if (mode == "weight" && floatInput &&
               rotation == Rotation::Activation)
        rotateWeights(op);
    }
  }
};

} // namespace
