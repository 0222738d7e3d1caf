//===- ITQ3ToNVVM.cpp - itq3 ops in GPU kernels -> NVVM (dp4a) ------------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_CONVERTITQ3TONVVM
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

/// dot_i8 -> a chain of dp4a over 4-byte words of both rows.
void lowerDot(DotI8Op op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto word = VectorType::get({4}, b.getI8Type());
  auto signedBytes = NVVM::DotAccumulateTypeAttr::get(
      b.getContext(), NVVM::DotAccumulateType::SIGNED);
  // Each word is one aligned 32-bit load: dot_i8 promises 4-byte aligned
  // row starts and columns.
  auto load = [&](Value memref, Value row, Value col, int64_t offset) {
    Value at = arith::AddIOp::create(
        b, loc, col, arith::ConstantIndexOp::create(b, loc, offset));
    return vector::LoadOp::create(b, loc, word, memref, ValueRange{row, at},
                                  /*nontemporal=*/false, llvm::MaybeAlign(4));
  };
  Value sum = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  for (int64_t offset = 0; offset < op.getLength(); offset += 4) {
    Value lhs = load(op.getLhs(), op.getLhsRow(), op.getLhsCol(), offset);
    Value rhs = load(op.getRhs(), op.getRhsRow(), op.getRhsCol(), offset);
    sum = NVVM::DotAccumulate4WayOp::create(b, loc, b.getI32Type(), lhs,
                                            signedBytes, rhs, signedBytes, sum);
  }
  op.replaceAllUsesWith(sum);
  op.erase();
}

/// Workgroup buffers start 16-byte aligned, so the word loads from int8
/// stages are aligned too.
void alignWorkgroupBuffers(gpu::GPUFuncOp func) {
  auto align = IntegerAttr::get(IntegerType::get(func.getContext(), 64), 16);
  for (unsigned i = 0; i < func.getNumWorkgroupAttributions(); ++i)
    func.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                     align);
}

struct ConvertITQ3ToNVVMPass
    : public mlir::itq3::impl::ConvertITQ3ToNVVMBase<ConvertITQ3ToNVVMPass> {
  void runOnOperation() override {
    getOperation()->walk([](DotI8Op op) { lowerDot(op); });
    getOperation()->walk([](gpu::GPUFuncOp op) { alignWorkgroupBuffers(op); });
  }
};

} // namespace
