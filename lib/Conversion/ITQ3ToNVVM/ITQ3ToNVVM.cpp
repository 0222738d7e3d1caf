//===- ITQ3ToNVVM.cpp - itq3 ops in GPU kernels -> NVVM (dp4a, mma) -------===//
#include "itq3/Conversion/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Utils/MMAUtils.h"

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
  for (int64_t offset = 0, length = op.getLength(); offset < length; offset += 4) {
    Value lhs = load(op.getLhs(), op.getLhsRow(), op.getLhsCol(), offset);
    Value rhs = load(op.getRhs(), op.getRhsRow(), op.getRhsCol(), offset);
    sum = NVVM::DotAccumulate4WayOp::create(b, loc, b.getI32Type(), lhs,
                                            signedBytes, rhs, signedBytes, sum);
  }
  op.replaceAllUsesWith(sum);
  op.erase();
}

/// One operand of mma.sync as this lane holds it: which elements of the
/// warp's matrix (rows x cols of `element`) go into which registers, from
/// upstream's description of the mma.sync fragment layouts.
class Fragment {
public:
  Fragment(OpBuilder &b, Location loc, int64_t rows, int64_t cols,
           Type element, nvgpu::MatMulOperandRole role)
      : b(b), loc(loc),
        info{VectorType::get({rows, cols}, element), role} {
    registers = *nvgpu::getMmaSyncRegisterType(info);
    coords = *nvgpu::getLaneIdAndValueIdToOperandCoord(b, loc, info);
  }

  /// vector<registers x elements-per-register>, as nvgpu.mma.sync takes it.
  VectorType type() const {
    return VectorType::get({registers.numRegistersPerFragment,
                            registers.elementsPerRegister},
                           info.vectorType.getElementType());
  }

  /// This lane's registers, read from `buffer` with the warp's matrix at
  /// (row, col): each register is consecutive elements of one row.
  Value load(Value buffer, Value lane, Value row, Value col) {
    Value fragment = arith::ConstantOp::create(b, loc, b.getZeroAttr(type()));
    for (int64_t r = 0; r < registers.numRegistersPerFragment; ++r) {
      auto [at, alignment] = address(lane, r, row, col);
      Value word = vector::LoadOp::create(b, loc, registerType(), buffer, at,
                                          /*nontemporal=*/false, alignment);
      fragment = vector::InsertOp::create(b, loc, word, fragment, r);
    }
    return fragment;
  }

  void store(Value fragment, Value buffer, Value lane, Value row, Value col) {
    for (int64_t r = 0; r < registers.numRegistersPerFragment; ++r) {
      auto [at, alignment] = address(lane, r, row, col);
      Value word = vector::ExtractOp::create(b, loc, fragment, r);
      vector::StoreOp::create(b, loc, word, buffer, at, /*nontemporal=*/false,
                              alignment);
    }
  }

private:
  VectorType registerType() const {
    return VectorType::get({registers.elementsPerRegister},
                           info.vectorType.getElementType());
  }

  /// Where register r of `lane` starts, and the alignment of its elements.
  std::pair<SmallVector<Value>, llvm::MaybeAlign>
  address(Value lane, int64_t r, Value row, Value col) {
    Value value = arith::ConstantIndexOp::create(
        b, loc, r * registers.elementsPerRegister);
    SmallVector<Value> at;
    Value bases[] = {row, col};
    for (auto [d, base] : llvm::enumerate(bases)) {
      AffineExpr offset = coords.getResult(d) + b.getAffineDimExpr(2);
      at.push_back(getValueOrCreateConstantIndexOp(
          b, loc,
          affine::makeComposedFoldedAffineApply(
              b, loc, AffineMap::get(3, 0, offset),
              ArrayRef<OpFoldResult>{lane, value, base})));
    }
    int64_t bytes = registers.elementsPerRegister *
                    info.vectorType.getElementTypeBitWidth() / 8;
    return {at, llvm::MaybeAlign(bytes)};
  }

  OpBuilder &b;
  Location loc;
  nvgpu::WarpMatrixInfo info;
  nvgpu::FragmentElementInfo registers;
  AffineMap coords;
};

/// mma -> per step of K, this lane's fragments of the 16-row lhs block and
/// the 8-row rhs block, nvgpu.mma.sync (mma.sync.aligned.m16n8k32 for int8,
/// m16n8k16 for f16), then the accumulator fragment back to `acc`.
void lowerMma(MmaOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  int64_t step = op.getStep();
  Type element = op.getLhs().getType().getElementType();
  Fragment a(b, loc, MmaOp::kRows, step, element, nvgpu::MatMulOperandRole::A);
  Fragment bFragment(b, loc, MmaOp::kCols, step, element,
                     nvgpu::MatMulOperandRole::B);
  Fragment c(b, loc, MmaOp::kRows, MmaOp::kCols,
             op.getAcc().getType().getElementType(),
             nvgpu::MatMulOperandRole::C);
  Value lane = gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
  Value init = op.getAccumulate()
                   ? c.load(op.getAcc(), lane, op.getAccRow(), op.getAccCol())
                   : arith::ConstantOp::create(b, loc, b.getZeroAttr(c.type()))
                         .getResult();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto steps = scf::ForOp::create(b, loc, index(0), index(op.getLength()),
                                  index(step), ValueRange{init});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(steps.getBody());
    Value k = steps.getInductionVar();
    Value lhs = a.load(op.getLhs(), lane, op.getLhsRow(),
                       arith::AddIOp::create(b, loc, op.getLhsCol(), k));
    Value rhs = bFragment.load(op.getRhs(), lane, op.getRhsRow(),
                               arith::AddIOp::create(b, loc, op.getRhsCol(), k));
    Value product = nvgpu::MmaSyncOp::create(
        b, loc, lhs, rhs, steps.getRegionIterArg(0),
        ArrayRef<int64_t>{MmaOp::kRows, MmaOp::kCols, step});
    scf::YieldOp::create(b, loc, product);
  }
  c.store(steps.getResult(0), op.getAcc(), lane, op.getAccRow(),
          op.getAccCol());
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
    getOperation()->walk([](MmaOp op) { lowerMma(op); });
    getOperation()->walk([](gpu::GPUFuncOp op) { alignWorkgroupBuffers(op); });
  }
};

} // namespace
