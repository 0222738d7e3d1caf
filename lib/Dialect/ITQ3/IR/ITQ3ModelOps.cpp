//===- ITQ3ModelOps.cpp - verifiers of the model-level ops ----------------===//
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::itq3;

/// Two dimensions agree unless both are static and differ.
static bool agree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Error unless every memref in `types` has the row count of the first.
static LogicalResult verifySameRows(Operation *op,
                                    ArrayRef<MemRefType> types) {
  for (MemRefType t : types.drop_front())
    if (!agree(t.getDimSize(0), types.front().getDimSize(0)))
      return op->emitOpError("operands must have the same number of rows, got ")
             << types.front().getDimSize(0) << " and " << t.getDimSize(0);
  return success();
}

/// Error unless `type` has `columns` static columns.
static LogicalResult verifyColumns(Operation *op, MemRefType type,
                                   int64_t columns, StringRef what) {
  if (type.getDimSize(1) != columns)
    return op->emitOpError() << what << " must have " << columns
                             << " columns, got " << type.getDimSize(1);
  return success();
}

LogicalResult EmbedIntoOp::verify() {
  FormatAttr format = getFormat();
  if (format.isRotated())
    return emitOpError("the table's format must be unrotated, got ")
           << stringifyFormatKind(format.getKind());
  int64_t dim = getResult().getType().getDimSize(1);
  int64_t block = format.getBlockSize();
  if (ShapedType::isDynamic(dim) || dim % block != 0)
    return emitOpError("result columns must be a static multiple of the ")
           << stringifyFormatKind(format.getKind()) << " block size "
           << block << ", got " << dim;
  int64_t rowBytes = dim / block * format.getBytesPerBlock();
  if (getTable().getType().getDimSize(1) != rowBytes)
    return emitOpError("table rows must hold ")
           << rowBytes << " bytes for " << dim << " columns, got "
           << getTable().getType().getDimSize(1);
  if (!agree(getTokens().getType().getDimSize(0),
             getResult().getType().getDimSize(0)))
    return emitOpError("one result row per token expected");
  return success();
}

LogicalResult RMSNormIntoOp::verify() {
  MemRefType in = getInput().getType(), out = getResult().getType();
  int64_t dim = in.getDimSize(1);
  if (ShapedType::isDynamic(dim))
    return emitOpError("the normalized width must be static");
  if (getWeight().getType().getDimSize(0) != dim)
    return emitOpError("weight must have ") << dim << " elements, got "
                                            << getWeight().getType().getDimSize(0);
  if (failed(verifyColumns(*this, out, dim, "result")))
    return failure();
  if (!(getEps().convertToFloat() >= 0.0f))
    return emitOpError("eps must be non-negative");
  return verifySameRows(*this, {in, out});
}

LogicalResult RopeOp::verify() {
  int64_t width = getX().getType().getDimSize(1);
  int64_t headDim = getHeadDim();
  if (headDim % 2 != 0)
    return emitOpError("head_dim must be even, got ") << headDim;
  if (ShapedType::isDynamic(width) || width % headDim != 0)
    return emitOpError("row width must be a static multiple of head_dim ")
           << headDim << ", got " << width;
  if (!(getBase().convertToFloat() > 0.0f))
    return emitOpError("base must be positive");
  return success();
}

LogicalResult AttentionIntoOp::verify() {
  int64_t heads = getHeads(), kvHeads = getKvHeads(), hd = getHeadDim();
  if (heads % kvHeads != 0)
    return emitOpError("heads (")
           << heads << ") must be a multiple of kv_heads (" << kvHeads << ")";
  MemRefType q = getQueries().getType(), k = getKeys().getType(),
             v = getValues().getType(), kc = getKeyCache().getType(),
             vc = getValueCache().getType(), out = getResult().getType();
  if (failed(verifyColumns(*this, q, heads * hd, "queries")) ||
      failed(verifyColumns(*this, out, heads * hd, "result")) ||
      failed(verifyColumns(*this, k, kvHeads * hd, "keys")) ||
      failed(verifyColumns(*this, v, kvHeads * hd, "values")) ||
      failed(verifyColumns(*this, kc, kvHeads * hd, "key cache")) ||
      failed(verifyColumns(*this, vc, kvHeads * hd, "value cache")))
    return failure();
  if (!agree(kc.getDimSize(0), vc.getDimSize(0)))
    return emitOpError("key and value caches must hold the same positions");
  return verifySameRows(*this, {q, k, v, out});
}

LogicalResult AddIntoOp::verify() {
  MemRefType lhs = getLhs().getType(), rhs = getRhs().getType(),
             out = getResult().getType();
  int64_t width = lhs.getDimSize(1);
  if (!agree(out.getDimSize(1), width) ||
      !agree(rhs.getDimSize(rhs.getRank() - 1), width))
    return emitOpError("operands must have the same number of columns");
  if (rhs.getRank() == 2)
    return verifySameRows(*this, {lhs, rhs, out});
  return verifySameRows(*this, {lhs, out});
}

LogicalResult SwiGLUIntoOp::verify() {
  MemRefType gate = getGate().getType(), up = getUp().getType(),
             out = getResult().getType();
  if (!agree(gate.getDimSize(1), up.getDimSize(1)) ||
      !agree(gate.getDimSize(1), out.getDimSize(1)))
    return emitOpError("operands must have the same number of columns");
  return verifySameRows(*this, {gate, up, out});
}
