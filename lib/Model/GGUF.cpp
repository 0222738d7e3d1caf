//===- GGUF.cpp - GGUF v2/v3 importer -------------------------------------===//
//
// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count,
// the metadata, then per tensor (name, u32 n_dims, u64 dims innermost
// first, u32 type, u64 offset); the data section starts at the next multiple
// of general.alignment (default 32) and every offset is relative to it.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Importers.h"
#include "ByteReader.h"
#include "GGML.h"
#include "GGUFMetadata.h"

#include <memory>

namespace itq3::model {

namespace {

struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims; // innermost first, as stored
  uint32_t type;
  uint64_t offset;
};

Status readTensorInfo(ByteReader &r, TensorInfo &t) {
  uint32_t nDims;
  if (Status s = r.stringU64(t.name, "tensor name"); !s)
    return s;
  if (Status s = r.read(nDims, "tensor rank"); !s)
    return s;
  if (nDims == 0 || nDims > 4)
    return r.error("tensor '" + t.name + "' has rank " +
                   std::to_string(nDims) + " (1 to 4 allowed)");
  int64_t numel = 1;
  for (uint32_t d = 0; d < nDims; ++d) {
    uint64_t dim;
    if (Status s = r.read(dim, "tensor dimension"); !s)
      return s;
    if (dim == 0 || dim > (uint64_t(1) << 40) ||
        !mulChecked(numel, int64_t(dim), numel))
      return r.error("tensor '" + t.name + "' has an absurd dimension " +
                     std::to_string(dim));
    t.dims.push_back(int64_t(dim));
  }
  if (Status s = r.read(t.type, "tensor type"); !s)
    return s;
  return r.read(t.offset, "tensor offset");
}

/// Dequantizes one tensor from the mapped data section into fp32, or, with
/// `file` (lazy), checks it and leaves the dequantization to Tensor::decode.
Status decodeTensor(const ByteReader &r, uint64_t dataStart,
                    const TensorInfo &info,
                    const std::shared_ptr<MappedFile> &file, Tensor &out) {
  const ggml::TypeInfo *type = ggml::typeInfo(info.type);
  if (!type)
    return r.error("tensor '" + info.name + "' has type " +
                   ggml::typeName(info.type) +
                   ", which is not supported (F32, F16, BF16, Q8_0, Q4_0, "
                   "Q4_1, Q4_K, Q5_K, Q6_K are)");
  if (info.dims[0] % type->blockSize != 0)
    return r.error("tensor '" + info.name + "': row length " +
                   std::to_string(info.dims[0]) + " is not a multiple of " +
                   ggml::typeName(info.type) + "'s block of " +
                   std::to_string(type->blockSize));
  int64_t numel = 1;
  for (int64_t d : info.dims)
    numel *= d; // checked against overflow when read
  int64_t blocks = numel / type->blockSize;
  if (uint64_t(blocks) > r.size() / uint64_t(type->bytesPerBlock))
    return r.error("tensor '" + info.name + "' is larger than the file");
  uint64_t bytes = uint64_t(blocks) * uint64_t(type->bytesPerBlock);
  uint64_t begin = dataStart + info.offset;
  if (info.offset > r.size() || begin > r.size() || bytes > r.size() - begin)
    return r.error("tensor '" + info.name + "' data (offset " +
                   std::to_string(info.offset) + ", " + std::to_string(bytes) +
                   " bytes) runs past the end of the file");
  ByteReader at = r;
  const uint8_t *p;
  if (Status s = at.seek(begin, "tensor data"); !s)
    return s;
  if (Status s = at.bytes(bytes, p, "tensor data"); !s)
    return s;
  out.shape.assign(info.dims.rbegin(), info.dims.rend());
  out.sourceType = type->name;
  auto decode = [type, p, blocks, numel](std::vector<float> &data) {
    data.resize(size_t(numel));
    type->dequantize(p, data.data(), blocks);
  };
  if (file) // lazy: the tensor keeps the mapping alive
    out.decode = [file, decode](std::vector<float> &data) { decode(data); };
  else
    decode(out.data);
  return Status::success();
}

Status readConfig(const gguf::Metadata &md, ModelConfig &c) {
  std::string arch;
  if (Status s = md.string("general.architecture", arch); !s)
    return s;
  if (arch != "llama" && arch != "qwen2")
    return Status::error("architecture '" + arch +
                         "' is not supported (llama and qwen2 are)");
  c.arch = arch;
  const std::string a = arch + ".";
  double base, eps;
  Status s = md.integer(a + "embedding_length", c.dim);
  if (s) s = md.integer(a + "feed_forward_length", c.hiddenDim);
  if (s) s = md.integer(a + "block_count", c.nLayers);
  if (s) s = md.integer(a + "attention.head_count", c.nHeads);
  if (s) s = md.integer(a + "attention.head_count_kv", c.nKvHeads, c.nHeads);
  if (s) s = md.integer(a + "context_length", c.seqLen);
  if (s) s = md.real(a + "rope.freq_base", base, 10000.0);
  if (s) s = md.real(a + "attention.layer_norm_rms_epsilon", eps, 1e-5);
  if (!s)
    return s;
  // Scaled RoPE (Llama 3.1 "llama3", linear, YaRN) changes every logit;
  // the forward pass does not implement it, so refuse rather than be wrong.
  std::string scaling = "none";
  if (md.has(a + "rope.scaling.type"))
    if (Status t = md.string(a + "rope.scaling.type", scaling); !t)
      return t;
  if (scaling != "none")
    return Status::error("RoPE scaling '" + scaling + "' is not supported");
  c.ropeBase = float(base);
  c.normEps = float(eps);
  if (c.nHeads > 0)
    if (Status k = md.integer(a + "attention.key_length", c.headDim,
                              c.dim / c.nHeads);
        !k)
      return k;
  // llama tensors are stored permuted for adjacent rotary pairs; qwen2
  // tensors are not and use the halves convention.
  c.ropeHalves = arch == "qwen2";
  c.qkvBias = arch == "qwen2";
  return Status::success();
}

} // namespace

Status loadGGUF(const std::string &path, Model &out,
                std::unique_ptr<Tokenizer> *tokenizer, bool lazy) {
  auto file = std::make_shared<MappedFile>();
  if (Status s = file->open(path); !s)
    return s;
  ByteReader r(file->data(), file->size(), path);
  uint32_t magic, version;
  uint64_t nTensors, nKv;
  if (Status s = r.read(magic, "magic"); !s)
    return s;
  if (magic != 0x46554747) // "GGUF" little-endian
    return Status::error(path + ": not a GGUF file (bad magic)");
  if (Status s = r.read(version, "version"); !s)
    return s;
  if (version != 2 && version != 3)
    return Status::error(path + ": GGUF version " + std::to_string(version) +
                         " is not supported (2 and 3 are)");
  if (Status s = r.read(nTensors, "tensor count"); !s)
    return s;
  if (Status s = r.read(nKv, "metadata count"); !s)
    return s;
  // Each entry takes at least 12 (metadata) or 28 (tensor info) bytes.
  if (nKv > r.remaining() / 12 || nTensors > r.remaining() / 28)
    return r.error(std::to_string(nTensors) + " tensors and " +
                   std::to_string(nKv) + " metadata entries cannot fit in the " +
                   std::to_string(r.remaining()) +
                   " bytes left: truncated or corrupt");
  gguf::Metadata md;
  if (Status s = md.read(r, nKv); !s)
    return s;
  std::vector<TensorInfo> infos(static_cast<size_t>(nTensors));
  for (TensorInfo &t : infos)
    if (Status s = readTensorInfo(r, t); !s)
      return s;

  int64_t alignment;
  if (Status s = md.integer("general.alignment", alignment, 32); !s)
    return Status::error(path + ": " + s.message());
  if (alignment <= 0 || alignment > (1 << 20) ||
      (alignment & (alignment - 1)) != 0)
    return Status::error(path + ": alignment " + std::to_string(alignment) +
                         " is not a power of two");
  uint64_t dataStart = (r.offset() + uint64_t(alignment) - 1) /
                       uint64_t(alignment) * uint64_t(alignment);
  if (dataStart > r.size())
    return r.error("data section starts past the end of the file");

  Model m;
  m.source = "gguf";
  if (Status s = readConfig(md, m.config); !s)
    return Status::error(path + ": " + s.message());
  for (const TensorInfo &info : infos) {
    if (info.offset % uint64_t(alignment) != 0)
      return r.error("tensor '" + info.name + "' offset " +
                     std::to_string(info.offset) + " is not aligned to " +
                     std::to_string(alignment));
    Tensor t;
    if (Status s = decodeTensor(r, dataStart, info,
                                lazy ? file : std::shared_ptr<MappedFile>(), t);
        !s)
      return s;
    m.tensors[info.name] = std::move(t);
  }
  // Extra tensors (rotary tables and the like) are kept: validate() checks
  // only what the forward pass reads.
  if (const Tensor *e = m.find("token_embd.weight"))
    m.config.vocabSize = e->rows();
  if (m.find("rope_freqs.weight"))
    return Status::error(path + ": RoPE frequency scaling (rope_freqs.weight) "
                                "is not supported");
  m.config.tiedOutput = m.find("output.weight") == nullptr;
  if (Status s = m.validate(); !s)
    return Status::error(path + ": " + s.message());
  if (tokenizer) {
    if (Status s = gguf::loadTokenizer(md, *tokenizer); !s)
      return Status::error(path + ": " + s.message());
    // Every token id must have a row of logits.
    if ((*tokenizer)->size() > m.config.vocabSize)
      return Status::error(path + ": the tokenizer has " +
                           std::to_string((*tokenizer)->size()) +
                           " tokens but the model only " +
                           std::to_string(m.config.vocabSize) + " embeddings");
  }
  out = std::move(m);
  return Status::success();
}

} // namespace itq3::model
