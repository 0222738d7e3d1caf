//===- InlineAllocaScopes.cpp - alloca_scope -> stack save/restore --------===//
#include "itq3/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3INLINEALLOCASCOPES
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;

namespace {

struct ITQ3InlineAllocaScopes
    : public itq3::impl::ITQ3InlineAllocaScopesBase<ITQ3InlineAllocaScopes> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation()->walk(
        [&](memref::AllocaScopeOp scope) { scopes.push_back(scope); });
    IRRewriter rewriter(&getContext());
    for (memref::AllocaScopeOp scope : scopes) {
      Location loc = scope.getLoc();
      rewriter.setInsertionPoint(scope);
      Value saved = LLVM::StackSaveOp::create(
          rewriter, loc, LLVM::LLVMPointerType::get(&getContext()));
      Block *body = &scope.getBodyRegion().front();
      Operation *terminator = body->getTerminator();
      ValueRange results = terminator->getOperands();
      SmallVector<Value> values(results.begin(), results.end());
      rewriter.inlineBlockBefore(body, scope);
      rewriter.setInsertionPoint(scope);
      LLVM::StackRestoreOp::create(rewriter, loc, saved);
      rewriter.eraseOp(terminator);
      rewriter.replaceOp(scope, values);
    }
  }
};

} // namespace
