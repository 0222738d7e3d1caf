//===- ModelGraph.cpp - The forward pass of a model as an MLIR module -----===//
#include "itq3/Graph/ModelGraph.h"

#include "itq3/Dialect/ITQ3/IR/ITQ3Ops.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

#include <tuple>

namespace itq3::graph {

using namespace ::mlir;
using namespace ::mlir::itq3;
using format::FormatKind;
using model::ModelConfig;

int64_t rowBytes(FormatKind kind, int64_t cols) {
  return format::createCodec(kind)->rowBytes(cols);
}

/// The bundle name of a layer's tensor, with "{layer}" for the index that
/// the runtime substitutes per call.
static std::string layerTensor(const char *what, const char *suffix = "weight") {
  return std::string("blk.{layer}.") + what + "." + suffix;
}

namespace {

/// The widths of the layer's activations.
struct Widths {
  explicit Widths(const ModelConfig &c)
      : dim(c.dim), hidden(c.hiddenDim), q(c.nHeads * c.headDim),
        kv(c.nKvHeads * c.headDim) {}
  int64_t dim, hidden, q, kv;
};

/// (outputs N, inputs K) of each linear of a layer.
std::pair<int64_t, int64_t> linearShape(const std::string &what,
                                        const Widths &w) {
  if (what == "attn_q")
    return {w.q, w.dim};
  if (what == "attn_k" || what == "attn_v")
    return {w.kv, w.dim};
  if (what == "attn_output")
    return {w.dim, w.q};
  if (what == "ffn_down")
    return {w.dim, w.hidden};
  return {w.hidden, w.dim}; // ffn_gate, ffn_up
}

Parameter buffer(std::string name, std::vector<int64_t> sizes,
                 std::string type = "f32") {
  return {Parameter::Kind::Buffer, std::move(name), std::move(type),
          std::move(sizes)};
}
Parameter tensor(std::string name, std::vector<int64_t> sizes,
                 std::string type = "f32") {
  return {Parameter::Kind::Tensor, std::move(name), std::move(type),
          std::move(sizes)};
}
Parameter packed(std::string name, FormatKind kind, int64_t rows,
                 int64_t cols) {
  return tensor(std::move(name), {rows, rowBytes(kind, cols)}, "i8");
}

FunctionSignature layerSignature(const GraphPlan &plan) {
  const ModelConfig &c = plan.config;
  Widths w(c);
  FunctionSignature f{"layer", {}};
  f.params = {buffer("x", {-1, w.dim}),
              {Parameter::Kind::Scalar, "pos", "index", {}},
              buffer("kcache", {plan.context, w.kv}),
              buffer("vcache", {plan.context, w.kv}),
              tensor(layerTensor("attn_norm"), {w.dim})};
  for (const char *what : model::linearNames()) {
    auto [n, k] = linearShape(what, w);
    f.params.push_back(
        packed(layerTensor(what), plan.linears.at(what).kind, n, k));
    std::string name = what;
    if (c.qkvBias && (name == "attn_q" || name == "attn_k" || name == "attn_v"))
      f.params.push_back(tensor(layerTensor(what, "bias"), {n}));
    if (name == "attn_output")
      f.params.push_back(tensor(layerTensor("ffn_norm"), {w.dim}));
  }
  return f;
}

} // namespace

std::vector<FunctionSignature> modelSignatures(const GraphPlan &plan) {
  const ModelConfig &c = plan.config;
  FunctionSignature embed{
      "embed",
      {buffer("tokens", {-1}, "i32"),
       packed(plan.embeddingTensor, plan.embedding.kind, c.vocabSize, c.dim),
       buffer("x", {-1, c.dim})}};
  FunctionSignature head{
      "head",
      {buffer("x", {-1, c.dim}), tensor("output_norm.weight", {c.dim}),
       packed(plan.headTensor, plan.head.kind, c.vocabSize, c.dim),
       buffer("logits", {-1, c.vocabSize})}};
  return {embed, layerSignature(plan), head};
}

namespace {

Type elementType(OpBuilder &b, const std::string &name) {
  if (name == "f32")
    return b.getF32Type();
  if (name == "i8")
    return b.getI8Type();
  if (name == "i32")
    return b.getI32Type();
  return b.getIndexType();
}

Type parameterType(OpBuilder &b, const Parameter &p) {
  if (p.kind == Parameter::Kind::Scalar)
    return elementType(b, p.elementType);
  SmallVector<int64_t> shape;
  for (int64_t s : p.sizes)
    shape.push_back(s < 0 ? ShapedType::kDynamic : s);
  return MemRefType::get(shape, elementType(b, p.elementType));
}

FormatAttr formatAttr(MLIRContext *context, const WeightPlan &w) {
  return FormatAttr::get(context, static_cast<::mlir::itq3::FormatKind>(w.kind),
                         format::createCodec(w.kind)->isRotated() ? w.seed : 0);
}

/// Emits one function's body; parameters are found by name.
class FunctionEmitter {
public:
  FunctionEmitter(OpBuilder &b, ModuleOp module, const FunctionSignature &sig,
                  const std::string &suffix)
      : b(b), loc(module.getLoc()), sig(sig) {
    SmallVector<Type> types;
    for (const Parameter &p : sig.params)
      types.push_back(parameterType(b, p));
    b.setInsertionPointToEnd(module.getBody());
    func = func::FuncOp::create(b, loc, sig.name + suffix,
                                b.getFunctionType(types, {}));
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    b.setInsertionPointToStart(func.addEntryBlock());
    rows = memref::DimOp::create(b, loc, arg("x"), 0);
  }

  /// Frees the buffers and returns.
  void finish() {
    for (Value v : allocated)
      memref::DeallocOp::create(b, loc, v);
    func::ReturnOp::create(b, loc);
  }

  Value arg(const std::string &name) {
    for (size_t i = 0; i < sig.params.size(); ++i)
      if (sig.params[i].name == name)
        return func.getArgument(unsigned(i));
    llvm_unreachable("no such parameter");
  }

  /// A fresh [M, cols] buffer, freed at the end of the function.
  Value rowsOf(int64_t cols, Type element = {}) {
    auto type = MemRefType::get({ShapedType::kDynamic, cols},
                                element ? element : b.getF32Type());
    Value v = memref::AllocOp::create(b, loc, type, ValueRange{rows});
    allocated.push_back(v);
    return v;
  }

  /// out = in * W^T as the weight's plan says: int8 activations (quantized
  /// once per input buffer and rotation, so `in` must not be written after
  /// its first product) or float ones.
  void linear(Value in, Value weight, const WeightPlan &plan, Value out,
              const std::string &what) {
    FormatAttr format = formatAttr(b.getContext(), plan);
    bool rotated = format.isRotated();
    if (plan.int8Activations && plan.kind != FormatKind::F16) {
      auto [values, scales] = quantized(in, format, what);
      MatmulIntoOp::create(
          b, at(what), values, weight, out, scales, format,
          RotationAttr::get(b.getContext(), rotated ? Rotation::Activation
                                                    : Rotation::None));
      return;
    }
    MatmulIntoOp::create(
        b, at(what), in, weight, out, Value(), format,
        RotationAttr::get(b.getContext(),
                          rotated ? Rotation::Weight : Rotation::None));
  }

  /// The function's location, named `what`: the ops of one step of the
  /// forward pass carry it through the lowering, so that the GPU kernels
  /// made of them are named after it (--itq3-name-kernels).
  Location at(const std::string &what) {
    return NameLoc::get(b.getStringAttr(what), loc);
  }

  OpBuilder &b;
  Location loc;
  const FunctionSignature &sig;
  func::FuncOp func;
  Value rows;

private:
  /// `in` quantized to int8 as `format`'s products take it (rotated like
  /// its weights, if they are).
  std::pair<Value, Value> quantized(Value in, FormatAttr format,
                                    const std::string &what) {
    int64_t block = format.getRotationBlock();
    uint64_t seed = format.getSeed();
    auto key = std::make_tuple(in.getAsOpaquePointer(), block, seed);
    auto found = quantizedInputs.find(key);
    if (found != quantizedInputs.end())
      return found->second;
    int64_t k = cast<MemRefType>(in.getType()).getDimSize(1);
    Value values = rowsOf(k, b.getI8Type()), scales = rowsOf(k / 32);
    QuantizeActIntoOp::create(
        b, at("quantize_" + what), in, values, scales, /*kronC=*/Value(), /*kronB=*/Value(),
        block ? b.getUnitAttr() : UnitAttr(), format.getRotationBlockAttr(),
        block && seed ? b.getI64IntegerAttr(int64_t(seed)) : IntegerAttr(),
        /*bits=*/IntegerAttr(), /*clip=*/FloatAttr());
    return quantizedInputs[key] = {values, scales};
  }

  std::vector<Value> allocated;
  std::map<std::tuple<const void *, int64_t, uint64_t>, std::pair<Value, Value>>
      quantizedInputs;
};

void emitEmbed(OpBuilder &b, ModuleOp module, const GraphPlan &plan,
               const FunctionSignature &sig, const std::string &suffix) {
  FunctionEmitter f(b, module, sig, suffix);
  EmbedIntoOp::create(b, f.at("embed"), f.arg(plan.embeddingTensor),
                      f.arg("tokens"),
                      f.arg("x"), formatAttr(b.getContext(), plan.embedding));
  f.finish();
}

void emitLayer(OpBuilder &b, ModuleOp module, const GraphPlan &plan,
               const FunctionSignature &sig, const std::string &suffix) {
  const ModelConfig &c = plan.config;
  Widths w(c);
  FunctionEmitter f(b, module, sig, suffix);
  auto weight = [&](const char *what, const char *kind = "weight") {
    return f.arg(layerTensor(what, kind));
  };
  auto project = [&](Value in, const char *what, int64_t cols) {
    Value out = f.rowsOf(cols);
    f.linear(in, weight(what), plan.linears.at(what), out, what);
    if (c.qkvBias && std::string(what).rfind("attn_", 0) == 0 &&
        std::string(what) != "attn_output")
      AddIntoOp::create(b, f.at(std::string(what) + "_bias"), out,
                        weight(what, "bias"), out);
    return out;
  };
  Value x = f.arg("x"), pos = f.arg("pos");
  FloatAttr eps = b.getF32FloatAttr(c.normEps);

  Value xb = f.rowsOf(w.dim);
  RMSNormIntoOp::create(b, f.at("attn_norm"), x, weight("attn_norm"), xb,
                        eps);
  Value q = project(xb, "attn_q", w.q);
  Value k = project(xb, "attn_k", w.kv);
  Value v = project(xb, "attn_v", w.kv);
  FloatAttr base = b.getF32FloatAttr(c.ropeBase);
  IntegerAttr headDim = b.getI64IntegerAttr(c.headDim);
  UnitAttr halves = c.ropeHalves ? b.getUnitAttr() : UnitAttr();
  RopeOp::create(b, f.at("rope_q"), q, pos, headDim, base, halves);
  RopeOp::create(b, f.at("rope_k"), k, pos, headDim, base, halves);
  Value att = f.rowsOf(w.q);
  AttentionIntoOp::create(b, f.at("attention"), q, k, v, f.arg("kcache"),
                          f.arg("vcache"), pos, att, c.nHeads, c.nKvHeads,
                          c.headDim);
  Value h = project(att, "attn_output", w.dim);
  AddIntoOp::create(b, f.at("attn_residual"), x, h, x);

  // A buffer of its own, not xb again: inputs are quantized once per
  // buffer, so every quantized buffer is written once.
  Value xf = f.rowsOf(w.dim);
  RMSNormIntoOp::create(b, f.at("ffn_norm"), x, weight("ffn_norm"), xf, eps);
  Value gate = project(xf, "ffn_gate", w.hidden);
  Value up = project(xf, "ffn_up", w.hidden);
  SwiGLUIntoOp::create(b, f.at("swiglu"), gate, up, gate);
  Value down = project(gate, "ffn_down", w.dim);
  AddIntoOp::create(b, f.at("ffn_residual"), x, down, x);
  f.finish();
}

void emitHead(OpBuilder &b, ModuleOp module, const GraphPlan &plan,
              const FunctionSignature &sig, const std::string &suffix) {
  FunctionEmitter f(b, module, sig, suffix);
  Value normed = f.rowsOf(plan.config.dim);
  RMSNormIntoOp::create(b, f.at("output_norm"), f.arg("x"),
                        f.arg("output_norm.weight"),
                        normed, b.getF32FloatAttr(plan.config.normEps));
  f.linear(normed, f.arg(plan.headTensor), plan.head, f.arg("logits"),
           "output");
  f.finish();
}

} // namespace

OwningOpRef<ModuleOp> buildModelModule(MLIRContext &context,
                                       const GraphPlan &plan,
                                       const std::string &suffix) {
  context.loadDialect<::mlir::itq3::ITQ3Dialect, func::FuncDialect,
                      memref::MemRefDialect>();
  OpBuilder b(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  std::vector<FunctionSignature> sigs = modelSignatures(plan);
  emitEmbed(b, *module, plan, sigs[0], suffix);
  emitLayer(b, *module, plan, sigs[1], suffix);
  emitHead(b, *module, plan, sigs[2], suffix);
  return module;
}

} // namespace itq3::graph
