//===- ModelGraph.h - The forward pass of a model as an MLIR module -*- C++ -*-===//
//
// Builds the buffer-level itq3 IR of a Llama-family forward pass from a
// model config and the storage plan of its tensors. Weights are not code:
// every function takes the tensors it reads as parameters, which the
// runtime binds by name to the bundle's data. The layers of a model share
// their shapes and formats, so one `layer` function serves all of them and
// code size does not grow with depth:
//
//   embed(tokens [M] i32, table [V, rowBytes] i8, x [M, D] f32)
//   layer(x [M, D] f32 (updated in place), pos index,
//         key cache [C, kv] f32, value cache [C, kv] f32,
//         attn_norm [D], attn_q, (attn_q bias), attn_k, (bias), attn_v,
//         (bias), attn_output, ffn_norm [D], ffn_gate, ffn_up, ffn_down)
//   head(x [M, D] f32, output_norm [D], output [V, rowBytes] i8,
//        logits [M, V] f32)
//
// M is dynamic: the same functions run a prompt (prefill) and one token
// (decode). Packed weights are [N, rowBytes] i8 exactly as lib/Format
// stores them.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_GRAPH_MODELGRAPH_H
#define ITQ3_GRAPH_MODELGRAPH_H

#include "itq3/Format/Codec.h"
#include "itq3/Model/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <string>
#include <vector>

namespace itq3::graph {

/// How one weight is stored and how its product runs.
struct WeightPlan {
  format::FormatKind kind = format::FormatKind::Q8;
  uint64_t seed = 0;
  /// The activation placement: x quantized to int8 per 32 (rotated first
  /// for rotated formats) and an integer product. Otherwise float x, and
  /// rotated formats undo their rotation on the staged weight tiles.
  bool int8Activations = false;
};

struct GraphPlan {
  model::ModelConfig config;
  int64_t context = 0; // key/value cache positions
  /// Per linear of a layer ("attn_q", ..., "ffn_down"): the same in every
  /// layer, since the layers share their shapes.
  std::map<std::string, WeightPlan> linears;
  WeightPlan head;       // the output projection
  WeightPlan embedding;  // an unrotated format; int8Activations unused
  /// Bundle names of the tensors the head and the lookup read (the same
  /// tensor when a tied embedding is stored once).
  std::string headTensor = "output.weight";
  std::string embeddingTensor = "token_embd.weight";
};

/// One parameter of a generated function, as the runtime binds it.
struct Parameter {
  enum class Kind { Tensor, Buffer, Scalar } kind;
  std::string name;           // tensor name ("blk.{layer}.attn_q.weight"),
                              // buffer ("x", "kcache", ...) or scalar ("pos")
  std::string elementType;    // "f32", "i8", "i32", "index"
  std::vector<int64_t> sizes; // -1 = M
};

struct FunctionSignature {
  std::string name; // "embed", "layer", "head"
  std::vector<Parameter> params;
};

/// The signatures of the functions buildModelModule emits, in order.
std::vector<FunctionSignature> modelSignatures(const GraphPlan &plan);

/// The module of embed, layer and head (each with llvm.emit_c_interface),
/// their names followed by `suffix` (a variant compiled for other tiles).
mlir::OwningOpRef<mlir::ModuleOp>
buildModelModule(mlir::MLIRContext &context, const GraphPlan &plan,
                 const std::string &suffix = "");

/// Bytes of a row of `cols` weights stored in `kind`.
int64_t rowBytes(format::FormatKind kind, int64_t cols);

} // namespace itq3::graph

#endif // ITQ3_GRAPH_MODELGRAPH_H
