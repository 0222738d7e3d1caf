//===- ITQ3Ops.cpp - itq3 operations: verifiers and folders ---------------===//
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "itq3/Dialect/ITQ3/IR/FormatBridge.h"
#include "itq3/Format/FWHT.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::itq3;

#define GET_OP_CLASSES
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.cpp.inc"

using ::itq3::format::isFwhtSize;
static constexpr int64_t kActivationBlock = 32;

/// A dimension as diagnostics print it: `?` when dynamic.
static std::string dim(int64_t size) {
  return ShapedType::isDynamic(size) ? "?" : std::to_string(size);
}

/// A shape as diagnostics print it, "?, 256" for [?, 256].
static std::string dims(ArrayRef<int64_t> shape) {
  std::string text;
  for (int64_t size : shape)
    text += (text.empty() ? "" : ", ") + dim(size);
  return text;
}

/// Two dimensions agree unless both are static and differ.
static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Error unless `tensorType` is [N, K] with the packed weight's N and K.
static LogicalResult verifySameShape(Operation *op, RankedTensorType tensorType,
                                     PackedWeightType packed) {
  if (tensorType.getShape() != packed.getShape())
    return op->emitOpError("tensor shape [")
           << tensorType.getShape() << "] does not match the packed shape ["
           << packed.getShape() << "]";
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto bytesType = dyn_cast<RankedTensorType>(getValue().getType());
  RankedTensorType expected = getType().getStorageType();
  if (!bytesType || bytesType != expected)
    return emitOpError("value must have type ")
           << expected << " (the stored bytes of " << getType() << "), got "
           << getValue().getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// FWHTOp
//===----------------------------------------------------------------------===//

LogicalResult FWHTOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() < 1)
    return emitOpError("expects a tensor of rank at least 1");
  int64_t block = getRotationBlock();
  if (!isFwhtSize(block))
    return emitOpError("block must be 64 or 256, got ") << block;
  int64_t last = type.getShape().back();
  if (ShapedType::isDynamic(last) || last % block != 0)
    return emitOpError("last dimension must be a static multiple of ")
           << block << ", got " << type;
  // The seed is the format's uint64 seed read as a bit pattern; 0 means no
  // signs and is spelled by omitting them.
  if (std::optional<int64_t> seed = getSeed(); seed && *seed == 0)
    return emitOpError("sign seed must be non-zero (omit signs for none)");
  return success();
}

// H is its own inverse, so two unsigned transforms cancel. With signs the
// transform is H D, which is not an involution.
OpFoldResult FWHTOp::fold(FoldAdaptor) {
  auto inner = getInput().getDefiningOp<FWHTOp>();
  if (!getSeed() && inner && !inner.getSeed() &&
      inner.getRotationBlock() == getRotationBlock())
    return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  return verifySameShape(*this, getInput().getType(), getType());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  auto weights = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (!weights)
    return {};
  std::optional<std::vector<float>> values = readFloats(weights);
  if (!values)
    return {};
  PackedWeightType packed = getType();
  auto codec = createCodec(packed.getFormat());
  std::vector<int8_t> bytes(packed.getStorageBytes());
  // A weight the codec refuses (NaN, Inf, out of range) stays unfolded; the
  // quantization pass reports it.
  if (!codec
           ->encodeRows(values->data(), packed.getRows(), packed.getCols(),
                        reinterpret_cast<uint8_t *>(bytes.data()))
           .ok())
    return {};
  return makeBytesAttr(packed.getStorageType(), bytes);
}

LogicalResult DequantizeOp::verify() {
  return verifySameShape(*this, getType(), getInput().getType());
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  auto stored = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (!stored)
    return {};
  std::optional<std::vector<int8_t>> bytes = readBytes(stored);
  PackedWeightType packed = getInput().getType();
  if (!bytes || int64_t(bytes->size()) != packed.getStorageBytes())
    return {};
  std::vector<float> values(packed.getRows() * packed.getCols());
  auto codec = createCodec(packed.getFormat());
  if (!codec
           ->decodeRows(reinterpret_cast<const uint8_t *>(bytes->data()),
                        packed.getRows(), packed.getCols(), values.data())
           .ok())
    return {};
  RankedTensorType resultType = getType();
  if (resultType.getElementType().isF32())
    return DenseElementsAttr::get(resultType, ArrayRef<float>(values));
  auto floatType = cast<FloatType>(resultType.getElementType());
  SmallVector<APFloat> converted;
  converted.reserve(values.size());
  for (float v : values) {
    APFloat value(v);
    bool losesInfo;
    value.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
    converted.push_back(value);
  }
  return DenseElementsAttr::get(resultType, converted);
}

//===----------------------------------------------------------------------===//
// QuantizeActOp
//===----------------------------------------------------------------------===//

/// C [l, l] and B [r, r] with l r = K, all static: the factors of a
/// Kronecker rotation of rows of K values.
static LogicalResult verifyKronFactors(Operation *op, ShapedType input,
                                       ShapedType c, ShapedType b) {
  auto square = [](ShapedType t) {
    return t.hasStaticShape() && t.getDimSize(0) == t.getDimSize(1);
  };
  if (!square(c) || !square(b))
    return op->emitOpError("Kronecker factors must be static square "
                           "matrices, got ")
           << c << " and " << b;
  int64_t k = input.getDimSize(1);
  if (ShapedType::isDynamic(k) || c.getDimSize(0) * b.getDimSize(0) != k)
    return op->emitOpError("Kronecker factors of sizes ")
           << c.getDimSize(0) << " and " << b.getDimSize(0)
           << " do not multiply to K = " << k;
  return success();
}

LogicalResult KronRotateOp::verify() {
  return verifyKronFactors(*this, getInput().getType(), getC().getType(),
                           getB().getType());
}

/// The rules shared by itq3.quantize_act and itq3.quantize_act_into: K splits
/// into activation blocks (rotation blocks with `rotate`), values have the
/// input's shape and scales one column per 32 of it; one rotation at most;
/// bits and clip in range.
template <typename OpTy>
static LogicalResult verifyActivationQuantizer(OpTy op) {
  auto input = cast<ShapedType>(op.getInput().getType());
  ArrayRef<int64_t> x = input.getShape();
  bool rotate = op.getRotate();
  std::optional<int64_t> seed = op.getSeed();
  if (op.getBlock() && !rotate)
    return op->emitOpError("block(n) needs rotate");
  int64_t block = rotate ? op.getRotationBlock() : kActivationBlock;
  if (rotate && !isFwhtSize(block))
    return op->emitOpError("block must be 64 or 256, got ") << block;
  if (ShapedType::isDynamic(x[1]) || x[1] % block != 0)
    return op->emitOpError("K must be a static multiple of ")
           << block << ", got " << x[1];
  if (seed && !rotate)
    return op->emitOpError("signs(seed) needs rotate");
  if (seed && *seed == 0)
    return op->emitOpError("sign seed must be non-zero (omit signs for none)");
  if (op.getKronC()) {
    if (rotate)
      return op->emitOpError("rotate and kron are two rotations: give one");
    if (failed(verifyKronFactors(op, input,
                                 cast<ShapedType>(op.getKronC().getType()),
                                 cast<ShapedType>(op.getKronB().getType()))))
      return failure();
  }
  if (std::optional<int64_t> bits = op.getBits(); bits && (*bits < 2 || *bits > 7))
    return op->emitOpError("bits must be in [2, 7] (the codes q - z must fit "
                           "int8), got ")
           << *bits;
  if (std::optional<APFloat> clip = op.getClip()) {
    if (!op.getBits())
      return op->emitOpError("clip(c) needs bits(b)");
    double c = clip->convertToDouble();
    if (!(c > 0 && c <= 1))
      return op->emitOpError("clip must be in (0, 1], got ") << c;
  }
  auto values = cast<ShapedType>(op.getValues().getType());
  if (failed(verifyCompatibleShape(values.getShape(), x)))
    return op->emitOpError("values must have the input's shape [") << dims(x) << "]";
  ArrayRef<int64_t> scales = cast<ShapedType>(op.getScales().getType()).getShape();
  if (!compatibleDims(scales[0], x[0]) ||
      scales[1] != x[1] / kActivationBlock)
    return op->emitOpError("scales must have shape [")
           << dim(x[0]) << ", " << x[1] / kActivationBlock
           << "] (one per 32 values), got [" << dims(scales) << "]";
  return success();
}

LogicalResult QuantizeActOp::verify() { return verifyActivationQuantizer(*this); }

namespace {
/// quantize_act(fwht(x) signs(s)) -> quantize_act(x) rotate signs(s): one
/// pass over the activations instead of a rotated copy of them.
struct FuseRotationIntoQuantizeAct : public OpRewritePattern<QuantizeActOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeActOp op,
                                PatternRewriter &rewriter) const override {
    auto fwht = op.getInput().getDefiningOp<FWHTOp>();
    if (op.getRotate() || op.getKronC() || !fwht)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(fwht.getInput());
      op.setRotate(true);
      op.setBlockAttr(fwht.getBlockAttr());
      op.setSeedAttr(fwht.getSeedAttr());
    });
    return success();
  }
};

/// quantize_act(kron_rotate(x, C, B)) -> quantize_act(x) kron(C, B).
struct FuseKronRotationIntoQuantizeAct
    : public OpRewritePattern<QuantizeActOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeActOp op,
                                PatternRewriter &rewriter) const override {
    auto kron = op.getInput().getDefiningOp<KronRotateOp>();
    if (op.getRotate() || op.getKronC() || !kron)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(kron.getInput());
      op.getKronCMutable().assign(kron.getC());
      op.getKronBMutable().assign(kron.getB());
    });
    return success();
  }
};
} // namespace

void QuantizeActOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                MLIRContext *context) {
  results.add<FuseRotationIntoQuantizeAct, FuseKronRotationIntoQuantizeAct>(
      context);
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// The rules shared by itq3.matmul and itq3.matmul_into: which rotation a
/// format takes, and what int8 activations need. `x` is [M, K].
static LogicalResult verifyProductRules(Operation *op, FormatAttr format,
                                        Rotation rotation, ShapedType input,
                                        ShapedType scalesType) {
  bool rotated = format.isRotated();
  if (rotated && rotation == Rotation::None)
    return op->emitOpError("a rotated format needs rotation<weight> or "
                           "rotation<activation>");
  if (!rotated && rotation != Rotation::None)
    return op->emitOpError("format '")
           << stringifyFormatKind(format.getKind())
           << "' has no rotation; use rotation<none>";

  if (!input.getElementType().isInteger(8)) {
    if (scalesType)
      return op->emitOpError("float activations take no scales");
    return success();
  }
  if (!scalesType)
    return op->emitOpError("int8 activations need their per-32 scales");
  if (rotation == Rotation::Weight)
    return op->emitOpError("int8 activations cannot use rotation<weight>: "
                           "rotate the activations instead");
  ArrayRef<int64_t> x = input.getShape();
  if (x[1] % kActivationBlock != 0)
    return op->emitOpError("int8 activations need K to be a multiple of ")
           << kActivationBlock << ", got " << x[1];
  ArrayRef<int64_t> scales = scalesType.getShape();
  if (!compatibleDims(scales[0], x[0]) ||
      scales[1] != x[1] / kActivationBlock)
    return op->emitOpError("scales must have shape [")
           << dim(x[0]) << ", " << x[1] / kActivationBlock << "], got ["
           << dims(scales) << "]";
  return success();
}

/// Null when the optional scales operand is absent.
static ShapedType scalesTypeOf(Value scales) {
  return scales ? cast<ShapedType>(scales.getType()) : ShapedType();
}

LogicalResult MatmulOp::verify() {
  ArrayRef<int64_t> x = getInput().getType().getShape();
  PackedWeightType weight = getWeight().getType();
  ArrayRef<int64_t> y = getType().getShape();
  if (x[1] != weight.getCols())
    return emitOpError("input K = ")
           << x[1] << " does not match the weight's K = " << weight.getCols();
  if (!compatibleDims(y[0], x[0]) || y[1] != weight.getRows())
    return emitOpError("result must have shape [")
           << dim(x[0]) << ", " << weight.getRows() << "], got [" << dims(y)
           << "]";
  return verifyProductRules(*this, weight.getFormat(), getRotation(),
                            getInput().getType(),
                            scalesTypeOf(getInputScales()));
}

//===----------------------------------------------------------------------===//
// TwinMatmulIntoOp
//===----------------------------------------------------------------------===//

LogicalResult TwinMatmulIntoOp::verify() {
  ArrayRef<int64_t> x = getInput().getType().getShape();
  ArrayRef<int64_t> r = getResidual().getType().getShape();
  ArrayRef<int64_t> ut = getUt().getType().getShape();
  ArrayRef<int64_t> v = getV().getType().getShape();
  ArrayRef<int64_t> y = getResult().getType().getShape();
  FormatAttr format = getFormat(), factors = getFactors();
  if (factors.getKind() != FormatKind::Q8 && factors.getKind() != FormatKind::Q4)
    return emitOpError("factors are stored in q8 or q4, got ")
           << stringifyFormatKind(factors.getKind());
  int64_t block = format.getBlockSize();
  if (ShapedType::isDynamic(x[1]) || x[1] % block != 0 || x[1] % 32 != 0)
    return emitOpError("input K must be a static multiple of 32 and of the ")
           << stringifyFormatKind(format.getKind()) << " block size " << block
           << ", got " << x[1];
  if (r[1] != x[1] / block * format.getBytesPerBlock())
    return emitOpError("residual rows must hold ")
           << x[1] / block * format.getBytesPerBlock() << " bytes for K = "
           << x[1] << ", got " << r[1];
  int64_t rank = v[0];
  if (ShapedType::isDynamic(rank) || rank <= 0 || ut[0] != rank)
    return emitOpError("U^T and V need the same static rank, got ")
           << dim(ut[0]) << " and " << dim(v[0]);
  int64_t factorBytes = factors.getBytesPerBlock();
  if (v[1] != x[1] / 32 * factorBytes)
    return emitOpError("V rows must hold ")
           << x[1] / 32 * factorBytes << " bytes for K = " << x[1] << ", got "
           << v[1];
  // N may be dynamic (a slice of rows of R and the same columns of U^T).
  if (!ShapedType::isDynamic(r[0]) &&
      (r[0] % 32 != 0 || !compatibleDims(ut[1], r[0] / 32 * factorBytes)))
    return emitOpError("U^T rows must hold N / 32 factor blocks, N a "
                       "multiple of 32; got N = ")
           << r[0] << " and rows of " << ut[1] << " bytes";
  if (!compatibleDims(y[0], x[0]) || !compatibleDims(y[1], r[0]))
    return emitOpError("result must have shape [")
           << dim(x[0]) << ", " << dim(r[0]) << "], got [" << dims(y) << "]";
  return verifyProductRules(*this, format, getRotation(), getInput().getType(),
                            scalesTypeOf(getInputScales()));
}

//===----------------------------------------------------------------------===//
// LowRankExpandIntoOp
//===----------------------------------------------------------------------===//

LogicalResult LowRankExpandIntoOp::verify() {
  ArrayRef<int64_t> t = getInput().getType().getShape();
  ArrayRef<int64_t> ut = getUt().getType().getShape();
  ArrayRef<int64_t> y = getResult().getType().getShape();
  FormatAttr factors = getFactors();
  if (factors.getKind() != FormatKind::Q8 && factors.getKind() != FormatKind::Q4)
    return emitOpError("factors are stored in q8 or q4, got ")
           << stringifyFormatKind(factors.getKind());
  if (ShapedType::isDynamic(t[1]) || t[1] != ut[0])
    return emitOpError("t [M, rank] and U^T [rank, N bytes] need the same "
                       "static rank, got ")
           << dim(t[1]) << " and " << dim(ut[0]);
  int64_t blockBytes = factors.getBytesPerBlock();
  if (!ShapedType::isDynamic(ut[1]) && ut[1] % blockBytes != 0)
    return emitOpError("U^T rows must hold whole ")
           << blockBytes << "-byte blocks, got " << ut[1] << " bytes";
  if (!ShapedType::isDynamic(y[1]) && y[1] % 32 != 0)
    return emitOpError("the result's columns must be a multiple of 32 (whole "
                       "blocks of U^T), got ")
           << y[1];
  if (!compatibleDims(y[0], t[0]))
    return emitOpError("result must have t's ")
           << dim(t[0]) << " rows, got " << dim(y[0]);
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulIntoOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulIntoOp::verify() {
  ArrayRef<int64_t> x = getInput().getType().getShape();
  ArrayRef<int64_t> w = getWeight().getType().getShape();
  ArrayRef<int64_t> y = getResult().getType().getShape();
  FormatAttr format = getFormat();
  int64_t block = format.getBlockSize();
  if (ShapedType::isDynamic(x[1]) || x[1] % block != 0)
    return emitOpError("input K must be a static multiple of the ")
           << stringifyFormatKind(format.getKind()) << " block size " << block
           << ", got " << x[1];
  int64_t rowBytes = x[1] / block * format.getBytesPerBlock();
  if (w[1] != rowBytes)
    return emitOpError("weight rows must hold ")
           << rowBytes << " bytes for K = " << x[1] << ", got " << w[1];
  if (!compatibleDims(y[0], x[0]) || !compatibleDims(y[1], w[0]))
    return emitOpError("result must have shape [")
           << dim(x[0]) << ", " << dim(w[0]) << "], got [" << dims(y) << "]";
  return verifyProductRules(*this, format, getRotation(),
                            getInput().getType(),
                            scalesTypeOf(getInputScales()));
}

//===----------------------------------------------------------------------===//
// QuantizeActIntoOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeActIntoOp::verify() {
  return verifyActivationQuantizer(*this);
}

//===----------------------------------------------------------------------===//
// DotI8Op
//===----------------------------------------------------------------------===//

LogicalResult DotI8Op::verify() {
  if (getLength() % 4 != 0)
    return emitOpError("length must be a multiple of 4, got ") << getLength();
  for (Value row : {getLhs(), getRhs()}) {
    auto type = cast<MemRefType>(row.getType());
    if (!type.isLastDimUnitStride())
      return emitOpError("rows must be contiguous, got ") << type;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MmaOp
//===----------------------------------------------------------------------===//

LogicalResult MmaOp::verify() {
  Type element = getLhs().getType().getElementType();
  if (getRhs().getType().getElementType() != element)
    return emitOpError("lhs and rhs must have the same element type");
  Type expected = element.isInteger(8)
                      ? Type(IntegerType::get(getContext(), 32))
                      : Type(Float32Type::get(getContext()));
  if (getAcc().getType().getElementType() != expected)
    return emitOpError("accumulator of ") << element << " products must be "
                                          << expected;
  if (getLength() % getStep() != 0)
    return emitOpError("length must be a multiple of ")
           << getStep() << ", got " << getLength();
  for (Value buffer : {getLhs(), getRhs(), getAcc()})
    if (!cast<MemRefType>(buffer.getType()).isLastDimUnitStride())
      return emitOpError("rows must be contiguous, got ") << buffer.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// StageFWHTOp
//===----------------------------------------------------------------------===//

LogicalResult StageFWHTOp::verify() {
  MemRefType type = getBuffer().getType();
  if (type.isDynamicDim(1) || !isFwhtSize(type.getDimSize(1)))
    return emitOpError("rows must be 64 or 256 wide, got ") << type;
  return success();
}
