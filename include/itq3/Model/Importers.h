//===- Importers.h - Reading checkpoints into a Model -----------*- C++ -*-===//
#ifndef ITQ3_MODEL_IMPORTERS_H
#define ITQ3_MODEL_IMPORTERS_H

#include "itq3/Model/Model.h"
#include "itq3/Model/Tokenizer.h"

#include <memory>
#include <string>

namespace itq3::model {

/// llama2.c legacy checkpoint: seven int32 (dim, hidden_dim, n_layers,
/// n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means the
/// classifier is stored separately) followed by fp32 weights.
Status loadLlama2c(const std::string &path, Model &out);

/// GGUF v2/v3: architectures llama and qwen2. Tensors of types F32, F16,
/// BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K are dequantized to fp32. When
/// `tokenizer` is non-null the embedded tokenizer is loaded too.
/// With `lazy`, tensors are checked but not decoded: each decodes on
/// Tensor::materialize() from the mapping, which the tensors keep open.
Status loadGGUF(const std::string &path, Model &out,
                std::unique_ptr<Tokenizer> *tokenizer = nullptr,
                bool lazy = false);

/// safetensors (F32, F16, BF16; one file, not sharded) with the config.json
/// beside it: Hugging Face Llama or Qwen2 names and settings. When
/// `tokenizer` is non-null and a tokenizer.json lies beside it, that is
/// loaded too (loadHFTokenizer).
Status loadSafeTensors(const std::string &path, Model &out,
                       std::unique_ptr<Tokenizer> *tokenizer = nullptr);

/// Picks the importer: GGUF by its magic, safetensors by its extension,
/// llama2.c otherwise. `lazy` applies to GGUF files (the large ones); the
/// other importers decode every tensor.
Status loadModel(const std::string &path, Model &out,
                 std::unique_ptr<Tokenizer> *tokenizer = nullptr,
                 bool lazy = false);

} // namespace itq3::model

#endif // ITQ3_MODEL_IMPORTERS_H
