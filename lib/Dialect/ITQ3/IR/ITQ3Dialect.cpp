//===- ITQ3Dialect.cpp - The itq3 dialect ---------------------------------===//
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::itq3;

#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.cpp.inc"

void ITQ3Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.cpp.inc"
      >();
  registerAttributes();
  registerTypes();
}

/// Packed weights fold to itq3.constant; dequantized weights to arith.constant.
Operation *ITQ3Dialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  if (auto packed = dyn_cast<PackedWeightType>(type)) {
    auto bytes = dyn_cast<ElementsAttr>(value);
    return bytes ? ConstantOp::create(builder, loc, packed, bytes) : nullptr;
  }
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
