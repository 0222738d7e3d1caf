//===- ITQ3Dialect.h - The itq3 dialect, attributes and types ---*- C++ -*-===//
#ifndef ITQ3_DIALECT_ITQ3_IR_ITQ3DIALECT_H
#define ITQ3_DIALECT_ITQ3_IR_ITQ3DIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h.inc"
#include "itq3/Dialect/ITQ3/IR/ITQ3Enums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "itq3/Dialect/ITQ3/IR/ITQ3Attrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "itq3/Dialect/ITQ3/IR/ITQ3Types.h.inc"

#endif // ITQ3_DIALECT_ITQ3_IR_ITQ3DIALECT_H
