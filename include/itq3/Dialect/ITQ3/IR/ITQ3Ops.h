//===- ITQ3Ops.h - itq3 operations ------------------------------*- C++ -*-===//
#ifndef ITQ3_DIALECT_ITQ3_IR_ITQ3OPS_H
#define ITQ3_DIALECT_ITQ3_IR_ITQ3OPS_H

#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h.inc"

#endif // ITQ3_DIALECT_ITQ3_IR_ITQ3OPS_H
