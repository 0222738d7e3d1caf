//===- Passes.h - itq3 conversion passes ------------------------*- C++ -*-===//
#ifndef ITQ3_CONVERSION_PASSES_H
#define ITQ3_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::itq3 {

#define GEN_PASS_DECL
#include "itq3/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "itq3/Conversion/Passes.h.inc"

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_PASSES_H
