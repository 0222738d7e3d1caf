//===- LlamaC.cpp - llama2.c legacy checkpoint importer -------------------===//

#include "itq3/Model/Importers.h"
#include "ByteReader.h"

#include <cstring>

namespace itq3::model {

namespace {

struct Header {
  int32_t dim, hidden, layers, heads, kvHeads, vocab, seq;
};

/// Reads one fp32 tensor of the given shape from the current offset.
Status readTensor(ByteReader &r, const std::string &name,
                  const std::vector<int64_t> &shape, Tensor &out) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (!mulChecked(n, d, n))
      return r.error("size of " + name + " overflows");
  const uint8_t *p;
  if (Status s = r.bytes(uint64_t(n) * 4, p, name.c_str()); !s)
    return s;
  out.shape = shape;
  out.sourceType = "f32";
  out.data.resize(size_t(n));
  std::memcpy(out.data.data(), p, size_t(n) * 4);
  return Status::success();
}

/// llama2.c stores each kind of per-layer tensor for all layers in a row.
Status readLayers(ByteReader &r, Model &m, const char *what,
                  const std::vector<int64_t> &shape) {
  for (int64_t l = 0; l < m.config.nLayers; ++l) {
    std::string name = layerTensor(l, what);
    if (Status s = readTensor(r, name, shape, m.tensors[name]); !s)
      return s;
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
  if (Status s = readTensor(r, "token_embd.weight", {c.vocabSize, c.dim},
                            m.tensors["token_embd.weight"]);
      !s)
    return s;
  // The file's order: w1 is the gate, w2 the down and w3 the up projection.
  const std::pair<const char *, std::vector<int64_t>> layers[] = {
      {"attn_norm", {c.dim}},
      {"attn_q", {qDim, c.dim}},
      {"attn_k", {kvDim, c.dim}},
      {"attn_v", {kvDim, c.dim}},
      {"attn_output", {c.dim, qDim}},
      {"ffn_norm", {c.dim}},
      {"ffn_gate", {c.hiddenDim, c.dim}},
      {"ffn_down", {c.dim, c.hiddenDim}},
      {"ffn_up", {c.hiddenDim, c.dim}}};
  for (const auto &[what, shape] : layers)
    if (Status s = readLayers(r, m, what, shape); !s)
      return s;
  if (Status s = readTensor(r, "output_norm.weight", {c.dim},
                            m.tensors["output_norm.weight"]);
      !s)
    return s;
  // Precomputed RoPE tables of old checkpoints: recomputed, so skipped.
  if (Status s = r.skip(uint64_t(c.seqLen) * uint64_t(c.headDim) * 4,
                        "freq_cis tables");
      !s)
    return s;
  if (!c.tiedOutput)
    if (Status s = readTensor(r, "output.weight", {c.vocabSize, c.dim},
                              m.tensors["output.weight"]);
        !s)
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
