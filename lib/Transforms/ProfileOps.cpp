//===- ProfileOps.cpp - Seconds spent in products and attention -----------===//
//
// The plan times whole functions; inside `layer` the products, the attention
// and the small ops (norms, rotary, residuals) are one call. The timers here
// split it without a profiler: the runtime finds the accumulators by name in
// the loaded code.
//
//===----------------------------------------------------------------------===//
#include "itq3/Transforms/Passes.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3PROFILEOPS
#include "itq3/Transforms/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;
using namespace mlir::itq3;

namespace {

constexpr const char *kClock = "omp_get_wtime";
constexpr const char *kAccumulators = "__itq3_profile_seconds";
enum Slot : int64_t { Products = 0, Attention = 1, SlotCount = 2 };

std::optional<Slot> slotOf(Operation *op) {
  if (isa<MatmulIntoOp, QuantizeActIntoOp>(op))
    return Products;
  if (isa<AttentionIntoOp>(op))
    return Attention;
  return std::nullopt;
}

struct ProfileOps : mlir::itq3::impl::ITQ3ProfileOpsBase<ProfileOps> {
  using Base::Base;

  void runOnOperation() override {
    accumulators = std::string(kAccumulators) + suffix.getValue();
    ModuleOp module = getOperation();
    SmallVector<std::pair<Operation *, Slot>> timed;
    module.walk([&](Operation *op) {
      if (std::optional<Slot> slot = slotOf(op))
        timed.push_back({op, *slot});
    });
    if (timed.empty())
      return;
    if (module.lookupSymbol(accumulators)) {
      module.emitError("itq3-profile-ops: @") << accumulators
                                              << " is defined already";
      return signalPassFailure();
    }
    declare(module);
    for (auto [op, slot] : timed)
      wrap(op, slot);
  }

  MemRefType accumulatorType() {
    return MemRefType::get({SlotCount}, Float64Type::get(&getContext()));
  }

  /// The clock (libomp's) and the zero-initialized accumulators.
  void declare(ModuleOp module) {
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    Location loc = module.getLoc();
    if (!module.lookupSymbol<func::FuncOp>(kClock)) {
      auto clock = func::FuncOp::create(
          b, loc, kClock, b.getFunctionType({}, {b.getF64Type()}));
      clock.setPrivate();
    }
    MemRefType type = accumulatorType();
    auto zeros = DenseElementsAttr::get(
        RankedTensorType::get(type.getShape(), type.getElementType()), 0.0);
    memref::GlobalOp::create(b, loc, accumulators, b.getStringAttr("public"),
                             type, zeros, /*constant=*/false,
                             /*alignment=*/nullptr);
  }

  void wrap(Operation *op, Slot slot) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto now = [&] {
      return func::CallOp::create(b, loc, kClock, b.getF64Type(), ValueRange{})
          .getResult(0);
    };
    Value start = now();
    b.setInsertionPointAfter(op);
    Value elapsed = arith::SubFOp::create(b, loc, now(), start);
    Value sums =
        memref::GetGlobalOp::create(b, loc, accumulatorType(), accumulators);
    Value at = arith::ConstantIndexOp::create(b, loc, slot);
    Value sum = memref::LoadOp::create(b, loc, sums, at);
    memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, sum, elapsed),
                            sums, at);
  }

  std::string accumulators;
};

} // namespace
