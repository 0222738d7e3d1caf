//===- LlamaC.cpp - llama2.c legacy checkpoint importer -------------------===//

#include "itq3/Model/Importers.h"
#include "ByteReader.h"

#include <cstring>

namespace itq3::model {

namespace {

struct Header {
  int32_t dim, hidden, layers, heads, kvHeads, vocab, seq;
};

/// Reads `rows` matrices of shape {n, k} (one per layer when perLayer) from
/// consecutive fp32 data into the named tensors.
Status readStack(ByteReader &r, Model &m, const char *what, int64_t layers,
                 std::vector<int64_t> shape) {
  int64_t per = 1;
  for (int64_t d : shape)
    if (!mulChecked(per, d, per))
      return r.error(std::string("size of ") + what + " overflows");
  for (int64_t l = 0; l < layers; ++l) {
    const uint8_t *p;
    if (Status s = r.bytes(uint64_t(per) * 4, p, what); !s)
      return s;
    Tensor t;
    t.shape = shape;
    t.sourceType = "f32";
    t.data.resize(size_t(per));
    std::memcpy(t.data.data(), p, size_t(per) * 4);
    std::string name = layers == 1 && std::strchr(what, '.')
                           ? std::string(what)
                           : layerTensor(l, what);
    m.tensors[name] = std::move(t);
  }
  return Status::success();
}

Status readHeader(ByteReader &r, Header &h) {
  int32_t *fields[] = {&h.dim,   &h.hidden, &h.layers, &h.heads,
                       &h.kvHeads, &h.vocab, &h.seq};
  for (int32_t *f : fields)
    if (Status s = r.read(*f, "header"); !s)
      return s;
  return Status::success();
}

} // namespace

Status loadLlama2c(const std::string &path, Model &out) {
  MappedFile file;
  if (Status s = file.open(path); !s)
    return s;
  ByteReader r(file.data(), file.size(), path);
  Header h;
  if (Status s = readHeader(r, h); !s)
    return s;
  Model m;
  m.source = "llama2.c";
  ModelConfig &c = m.config;
  c.arch = "llama";
  c.dim = h.dim;
  c.hiddenDim = h.hidden;
  c.nLayers = h.layers;
  c.nHeads = h.heads;
  c.nKvHeads = h.kvHeads;
  c.tiedOutput = h.vocab > 0;
  c.vocabSize = h.vocab < 0 ? -int64_t(h.vocab) : h.vocab;
  c.seqLen = h.seq;
  c.headDim = h.heads > 0 ? h.dim / h.heads : 0;
  c.ropeBase = 10000.0f;
  c.normEps = 1e-5f;
  if (h.heads > 0 && h.dim % h.heads != 0)
    return Status::error(path + ": dim " + std::to_string(h.dim) +
                         " is not a multiple of n_heads " +
                         std::to_string(h.heads));
  if (Status s = validateConfig(c); !s)
    return Status::error(path + ": " + s.message());

  int64_t qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  int64_t L = c.nLayers;
  struct Part {
    const char *name;
    int64_t layers;
    std::vector<int64_t> shape;
  };
  const std::vector<Part> parts = {
      {"token_embd.weight", 1, {c.vocabSize, c.dim}},
      {"attn_norm", L, {c.dim}},
      {"attn_q", L, {qDim, c.dim}},
      {"attn_k", L, {kvDim, c.dim}},
      {"attn_v", L, {kvDim, c.dim}},
      {"attn_output", L, {c.dim, qDim}},
      {"ffn_norm", L, {c.dim}},
      {"ffn_gate", L, {c.hiddenDim, c.dim}},
      {"ffn_down", L, {c.dim, c.hiddenDim}},
      {"ffn_up", L, {c.hiddenDim, c.dim}},
      {"output_norm.weight", 1, {c.dim}},
  };
  for (const Part &p : parts)
    if (Status s = readStack(r, m, p.name, p.layers, p.shape); !s)
      return s;
  // Precomputed RoPE tables of old checkpoints: recomputed, so skipped.
  if (Status s = r.skip(uint64_t(c.seqLen) * uint64_t(c.headDim) * 4,
                        "freq_cis tables");
      !s)
    return s;
  if (!c.tiedOutput)
    if (Status s = readStack(r, m, "output.weight", 1, {c.vocabSize, c.dim}); !s)
      return s;
  if (r.remaining() != 0)
    return r.error(std::to_string(r.remaining()) +
                   " unexpected trailing bytes (header says " +
                   (c.tiedOutput ? "shared" : "separate") + " classifier)");
  if (Status s = m.validate(); !s)
    return Status::error(path + ": " + s.message());
  out = std::move(m);
  return Status::success();
}

} // namespace itq3::model
