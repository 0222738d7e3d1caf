//===- Model.h - An imported model: config + named float tensors -*- C++ -*-===//
//
// Every importer (llama2.c, GGUF, safetensors) produces this one
// representation, so the forward pass, simulated quantization and the
// compiler never care where a model came from. Tensors are held as fp32 in
// row-major order; a linear weight is [N = outputs, K = inputs], the layout
// the codecs of lib/Format expect.
//
// Names follow one canonical scheme (the GGUF one, because it is the most
// common input): token_embd.weight, output_norm.weight, output.weight (absent
// when tied to the embedding), blk.<i>.{attn_norm, attn_q, attn_k, attn_v,
// attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down}.weight and, for Qwen2,
// blk.<i>.attn_{q,k,v}.bias.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_MODEL_H
#define ITQ3_MODEL_MODEL_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace itq3::model {

using format::Status;

struct ModelConfig {
  std::string arch = "llama"; // "llama" or "qwen2"
  int64_t dim = 0;            // residual width
  int64_t hiddenDim = 0;      // SwiGLU inner width
  int64_t nLayers = 0;
  int64_t nHeads = 0;
  int64_t nKvHeads = 0;
  int64_t headDim = 0;        // usually dim / nHeads
  int64_t vocabSize = 0;
  int64_t seqLen = 0;         // trained context length
  float ropeBase = 10000.0f;
  float normEps = 1e-5f;
  /// Rotary pairs: false = adjacent (2i, 2i+1) as in Meta's llama and
  /// llama2.c (GGUF llama tensors are stored permuted for this), true =
  /// halves (i, i + headDim/2) as in HF checkpoints and GGUF qwen2.
  bool ropeHalves = false;
  bool qkvBias = false;
  bool tiedOutput = true;
};

struct Tensor {
  std::vector<int64_t> shape; // outermost first: a linear is {N, K}
  std::vector<float> data;
  std::string sourceType;     // how it was stored: "f32", "q4_1", ...
  /// Set by a lazy import (loadModel's `lazy`): `data` stays empty until
  /// materialize() decodes the tensor from the still-mapped file, so a
  /// compiler can hold one tensor in fp32 at a time instead of the model.
  std::function<void(std::vector<float> &)> decode;

  /// Decodes a lazily imported tensor into `data` (no-op otherwise).
  void materialize();
  /// Frees `data` of a lazily imported tensor (it can be materialized again).
  void release();

  int64_t numel() const;
  int64_t rows() const { return shape.empty() ? 1 : shape.front(); }
  int64_t cols() const { return shape.empty() ? 1 : numel() / rows(); }
};

struct Model {
  ModelConfig config;
  std::map<std::string, Tensor> tensors;
  std::string source; // "llama2.c", "gguf", "safetensors"
  /// A tensor's name in the checkpoint, for messages: set by importers whose
  /// names differ from ours (safetensors); null means the same.
  std::string (*nameInSource)(const std::string &ours) = nullptr;

  const Tensor *find(const std::string &name) const;
  Tensor *find(const std::string &name);
  /// The tensor that produces logits: output.weight, or the embedding.
  const Tensor &outputWeight() const;
  /// Checks the config is sane and every tensor the forward pass reads is
  /// present with the shape the config implies.
  Status validate() const;
  int64_t parameterCount() const;
  /// "model.layers.0.mlp.up_proj.weight (blk.0.ffn_up.weight)", or our name
  /// alone where the checkpoint uses it.
  std::string describeTensor(const std::string &ours) const;
};

/// Checks that a config is plausible before anything is sized from it, so a
/// corrupt header becomes a message instead of an absurd allocation.
Status validateConfig(const ModelConfig &config);

/// Canonical per-layer tensor name, e.g. layerTensor(3, "attn_q") ->
/// "blk.3.attn_q.weight".
std::string layerTensor(int64_t layer, const char *what,
                        const char *suffix = "weight");

/// The per-layer linear projections, the tensors a weight format quantizes.
const std::vector<const char *> &linearNames();

} // namespace itq3::model

#endif // ITQ3_MODEL_MODEL_H
