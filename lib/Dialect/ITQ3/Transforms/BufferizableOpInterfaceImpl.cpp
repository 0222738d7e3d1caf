//===- BufferizableOpInterfaceImpl.cpp - itq3 in one-shot bufferize -------===//
//
// The bridge from the tensor-level ops that the model-level passes produce
// (--itq3-quantize-weights, --itq3-place-rotation) to the buffer forms that
// kernels are generated from. Every tensor-level itq3 op only reads its
// operands and produces new values, so each result is a new buffer and no
// operand ever aliases a result.
//
//===----------------------------------------------------------------------===//
#include "itq3/Dialect/ITQ3/Transforms/BufferizableOpInterfaceImpl.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::itq3;
using namespace mlir::bufferization;

namespace {

/// Packed weights are read as their stored bytes.
MemRefType storageBufferType(PackedWeightType packed) {
  RankedTensorType bytes = packed.getStorageType();
  return MemRefType::get(bytes.getShape(), bytes.getElementType());
}

/// The buffer of a tensor-level result: the same shape, identity layout, so
/// kernels and function signatures see plain row-major buffers.
BufferLikeType resultBufferType(Value value) {
  if (auto packed = dyn_cast<PackedWeightType>(value.getType()))
    return cast<BufferLikeType>(storageBufferType(packed));
  auto tensor = cast<RankedTensorType>(value.getType());
  return cast<BufferLikeType>(
      MemRefType::get(tensor.getShape(), tensor.getElementType()));
}

struct PackedWeightTensorLike
    : public TensorLikeType::ExternalModel<PackedWeightTensorLike,
                                           PackedWeightType> {
  FailureOr<BufferLikeType>
  getBufferType(Type type, const BufferizationOptions &,
                function_ref<InFlightDiagnostic()>) const {
    return cast<BufferLikeType>(
        storageBufferType(cast<PackedWeightType>(type)));
  }

  LogicalResult
  verifyCompatibleBufferType(Type type, BufferLikeType bufferType,
                             function_ref<InFlightDiagnostic()> emitError) const {
    MemRefType expected = storageBufferType(cast<PackedWeightType>(type));
    if (bufferType == expected)
      return success();
    return emitError() << "the buffer of " << type << " must be " << expected
                       << ", got " << bufferType;
  }
};

/// What every tensor-level itq3 op shares: operands are read, never written
/// or aliased; results are new buffers.
template <typename ConcreteModel, typename OpTy>
struct ReadOnlyProducer
    : public BufferizableOpInterface::ExternalModel<ConcreteModel, OpTy> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
  bool bufferizesToAllocation(Operation *, Value) const { return true; }
  FailureOr<BufferLikeType> getBufferType(Operation *, Value value,
                                          const BufferizationOptions &,
                                          const BufferizationState &,
                                          SmallVector<Value> &) const {
    return resultBufferType(value);
  }
};

/// A new buffer for the result `tensor`, whose dynamic sizes are those of
/// the buffer `sizes` (of the same rank).
FailureOr<Value> allocateLike(RewriterBase &rewriter, Location loc,
                              Value tensor, Value sizes,
                              const BufferizationOptions &options) {
  auto type = cast<MemRefType>(resultBufferType(tensor));
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(memref::DimOp::create(rewriter, loc, sizes, d));
  return options.createAlloc(rewriter, loc, type, dynamic);
}

/// Activations of the buffer forms are f32 (or int8 for the product).
LogicalResult checkActivationType(Operation *op, Value activations) {
  Type element = cast<ShapedType>(activations.getType()).getElementType();
  if (element.isF32() || element.isInteger(8))
    return success();
  return op->emitOpError("has no buffer form for ")
         << element << " activations; extend them to f32 first";
}

/// itq3.constant -> a private constant memref.global holding the packed bytes,
/// read through memref.get_global.
struct ConstantOpInterface
    : public ReadOnlyProducer<ConstantOpInterface, itq3::ConstantOp> {
  bool bufferizesToAllocation(Operation *, Value) const { return false; }
  bool isWritable(Operation *, Value, const AnalysisState &) const {
    return false;
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &,
                          BufferizationState &state) const {
    auto constant = cast<itq3::ConstantOp>(op);
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return op->emitOpError("needs an enclosing module for its global");
    memref::GlobalOp global = weightGlobal(rewriter, constant, module, state);
    rewriter.setInsertionPoint(op);
    replaceOpWithNewBufferizedOp<memref::GetGlobalOp>(
        rewriter, op, global.getType(), global.getSymName());
    return success();
  }

  /// The global holding the constant's bytes: one per distinct weight, so a
  /// weight shared by several functions is stored (and uploaded) once.
  static memref::GlobalOp weightGlobal(RewriterBase &rewriter,
                                       itq3::ConstantOp constant,
                                       ModuleOp module,
                                       BufferizationState &state) {
    MemRefType type = storageBufferType(constant.getType());
    for (auto global : module.getOps<memref::GlobalOp>())
      if (global->hasAttr(kWeightGlobalAttrName) && global.getType() == type &&
          global.getInitialValueAttr() == constant.getValue())
        return global;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(module.getBody());
    // 64-byte alignment: whole cache lines, and every vector load width.
    auto global = memref::GlobalOp::create(
        rewriter, constant.getLoc(), "itq3_weight",
        rewriter.getStringAttr("private"), type, constant.getValue(),
        /*constant=*/true, rewriter.getI64IntegerAttr(64));
    global->setAttr(kWeightGlobalAttrName, rewriter.getUnitAttr());
    state.getSymbolTables().getSymbolTable(module).insert(global);
    return global;
  }
};

/// itq3.matmul -> a new [M, N] buffer written by itq3.matmul_into.
struct MatmulOpInterface
    : public ReadOnlyProducer<MatmulOpInterface, itq3::MatmulOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto matmul = cast<itq3::MatmulOp>(op);
    if (failed(checkActivationType(op, matmul.getInput())))
      return failure();
    if (!matmul.getType().getElementType().isF32())
      return op->emitOpError("has no buffer form for a ")
             << matmul.getType().getElementType() << " result; use f32";
    FailureOr<Value> x = getBuffer(rewriter, matmul.getInput(), options, state);
    FailureOr<Value> w =
        getBuffer(rewriter, matmul.getWeight(), options, state);
    if (failed(x) || failed(w))
      return failure();
    Value scales;
    if (Value s = matmul.getInputScales()) {
      FailureOr<Value> buffer = getBuffer(rewriter, s, options, state);
      if (failed(buffer))
        return failure();
      scales = *buffer;
    }
    FailureOr<Value> y =
        allocateLike(rewriter, op->getLoc(), matmul.getResult(), *x, options);
    if (failed(y))
      return failure();
    MatmulIntoOp::create(rewriter, op->getLoc(), *x, *w, *y, scales,
                         matmul.getWeight().getType().getFormat(),
                         matmul.getRotationAttr());
    replaceOpWithBufferizedValues(rewriter, op, *y);
    return success();
  }
};

/// itq3.quantize_act -> new value and scale buffers written by
/// itq3.quantize_act_into (rotation fused when the op has `rotate`).
struct QuantizeActOpInterface
    : public ReadOnlyProducer<QuantizeActOpInterface, itq3::QuantizeActOp> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto quantize = cast<itq3::QuantizeActOp>(op);
    if (failed(checkActivationType(op, quantize.getInput())))
      return failure();
    FailureOr<Value> x =
        getBuffer(rewriter, quantize.getInput(), options, state);
    if (failed(x))
      return failure();
    Location loc = op->getLoc();
    FailureOr<Value> values =
        allocateLike(rewriter, loc, quantize.getValues(), *x, options);
    FailureOr<Value> scales =
        allocateLike(rewriter, loc, quantize.getScales(), *x, options);
    if (failed(values) || failed(scales))
      return failure();
    Value kronC, kronB;
    if (quantize.getKronC()) {
      FailureOr<Value> c = getBuffer(rewriter, quantize.getKronC(), options, state);
      FailureOr<Value> b = getBuffer(rewriter, quantize.getKronB(), options, state);
      if (failed(c) || failed(b))
        return failure();
      kronC = *c;
      kronB = *b;
    }
    QuantizeActIntoOp::create(rewriter, loc, *x, *values, *scales, kronC, kronB,
                              quantize.getRotate(), quantize.getBlockAttr(),
                              quantize.getSeedAttr(),
                              quantize.getBitsAttr(), quantize.getClipAttr());
    replaceOpWithBufferizedValues(rewriter, op, {*values, *scales});
    return success();
  }
};

/// What to do instead, for ops that have no buffer form.
StringRef noBufferFormAdvice(Operation *op) {
  if (isa<itq3::FWHTOp>(op))
    return "a rotation is only lowered fused into itq3.quantize_act (run "
           "--canonicalize) or into a matmul's rotation<weight>";
  if (isa<itq3::KronRotateOp>(op))
    return "a Kronecker rotation is only lowered fused into "
           "itq3.quantize_act (run --canonicalize)";
  if (isa<itq3::QuantizeOp>(op))
    return "weights are quantized at compile time, so they must be "
           "constants (run --canonicalize to fold them)";
  return "kernels read packed weights directly; fold it on a constant "
         "(--canonicalize) or multiply with itq3.matmul";
}

/// Bufferization stops on these with a message that says what to do, instead
/// of a generic "op was not bufferized".
template <typename OpTy>
struct NoBufferForm : public ReadOnlyProducer<NoBufferForm<OpTy>, OpTy> {
  LogicalResult bufferize(Operation *op, RewriterBase &,
                          const BufferizationOptions &,
                          BufferizationState &) const {
    return op->emitOpError("has no buffer form: ") << noBufferFormAdvice(op);
  }
};

} // namespace

bool mlir::itq3::readsWeightGlobal(memref::GetGlobalOp read) {
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      read, read.getNameAttr());
  return global && global->hasAttr(kWeightGlobalAttrName);
}

void mlir::itq3::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, ITQ3Dialect *) {
    PackedWeightType::attachInterface<PackedWeightTensorLike>(*context);
    itq3::ConstantOp::attachInterface<ConstantOpInterface>(*context);
    itq3::MatmulOp::attachInterface<MatmulOpInterface>(*context);
    itq3::QuantizeActOp::attachInterface<QuantizeActOpInterface>(*context);
    itq3::FWHTOp::attachInterface<NoBufferForm<itq3::FWHTOp>>(*context);
    itq3::KronRotateOp::attachInterface<NoBufferForm<itq3::KronRotateOp>>(
        *context);
    itq3::QuantizeOp::attachInterface<NoBufferForm<itq3::QuantizeOp>>(*context);
    itq3::DequantizeOp::attachInterface<NoBufferForm<itq3::DequantizeOp>>(
        *context);
  });
}
