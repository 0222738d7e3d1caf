//===- Passes.h - itq3 model-level passes -----------------------*- C++ -*-===//
#ifndef ITQ3_TRANSFORMS_PASSES_H
#define ITQ3_TRANSFORMS_PASSES_H

#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::itq3 {

#define GEN_PASS_DECL
#include "itq3/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "itq3/Transforms/Passes.h.inc"

} // namespace mlir::itq3

#endif // ITQ3_TRANSFORMS_PASSES_H
