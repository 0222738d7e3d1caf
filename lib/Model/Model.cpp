//===- Model.cpp - Shape checks shared by every importer ------------------===//

#include "itq3/Model/Model.h"

#include <string>

namespace itq3::model {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

void Tensor::materialize() {
  if (decode && data.empty())
    decode(data);
}

void Tensor::release() {
  if (decode)
    std::vector<float>().swap(data);
}

const Tensor *Model::find(const std::string &name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

Tensor *Model::find(const std::string &name) {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const Tensor &Model::outputWeight() const {
  if (const Tensor *t = find("output.weight"))
    return *t;
  return *find("token_embd.weight");
}

std::string layerTensor(int64_t layer, const char *what, const char *suffix) {
  return "blk." + std::to_string(layer) + "." + what + "." + suffix;
}

const std::vector<const char *> &linearNames() {
  static const std::vector<const char *> names = {
      "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up",
      "ffn_down"};
  return names;
}

int64_t Model::parameterCount() const {
  int64_t n = 0;
  for (const auto &[name, t] : tensors)
    n += t.numel();
  return n;
}

static std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string Model::describeTensor(const std::string &ours) const {
  std::string theirs = nameInSource ? nameInSource(ours) : ours;
  return theirs == ours || theirs.empty() ? ours : theirs + " (" + ours + ")";
}

static Status expectShape(const Model &m, const std::string &name,
                          std::vector<int64_t> shape) {
  const Tensor *t = m.find(name);
  std::string what = "'" + m.describeTensor(name) + "'";
  if (!t)
    return Status::error("missing tensor " + what);
  if (t->shape != shape)
    return Status::error("tensor " + what + " has shape " +
                         shapeString(t->shape) + ", expected " +
                         shapeString(shape));
  if (!t->decode && int64_t(t->data.size()) != t->numel())
    return Status::error("tensor " + what + " holds " +
                         std::to_string(t->data.size()) + " values for shape " +
                         shapeString(shape));
  return Status::success();
}

Status validateConfig(const ModelConfig &c) {
  // Generous limits: they only stop nonsense (a corrupt header) from turning
  // into huge allocations or divisions by zero further on.
  auto inRange = [](int64_t v, int64_t hi) { return v > 0 && v <= hi; };
  if (c.arch != "llama" && c.arch != "qwen2")
    return Status::error("unsupported architecture '" + c.arch + "'");
  if (!inRange(c.dim, 1 << 16) || !inRange(c.hiddenDim, 1 << 18) ||
      !inRange(c.nLayers, 1024) || !inRange(c.nHeads, 1024) ||
      !inRange(c.nKvHeads, 1024) || !inRange(c.headDim, 4096) ||
      !inRange(c.vocabSize, 1 << 22) || !inRange(c.seqLen, 1 << 22))
    return Status::error(
        "implausible model config (dim " + std::to_string(c.dim) +
        ", hidden " + std::to_string(c.hiddenDim) + ", layers " +
        std::to_string(c.nLayers) + ", heads " + std::to_string(c.nHeads) +
        "/" + std::to_string(c.nKvHeads) + ", head dim " +
        std::to_string(c.headDim) + ", vocab " + std::to_string(c.vocabSize) +
        ", seq " + std::to_string(c.seqLen) + ")");
  if (c.nHeads % c.nKvHeads != 0)
    return Status::error("heads (" + std::to_string(c.nHeads) +
                         ") not a multiple of kv heads (" +
                         std::to_string(c.nKvHeads) + ")");
  if (c.headDim % 2 != 0)
    return Status::error("odd head dimension " + std::to_string(c.headDim) +
                         " cannot take rotary embeddings");
  if (!(c.ropeBase > 0.0f) || !(c.normEps > 0.0f))
    return Status::error("rope base and norm epsilon must be positive");
  return Status::success();
}

Status Model::validate() const {
  if (Status s = validateConfig(config); !s)
    return s;
  const ModelConfig &c = config;
  int64_t qDim = c.nHeads * c.headDim, kvDim = c.nKvHeads * c.headDim;
  std::vector<std::pair<std::string, std::vector<int64_t>>> want = {
      {"token_embd.weight", {c.vocabSize, c.dim}},
      {"output_norm.weight", {c.dim}}};
  if (!c.tiedOutput)
    want.push_back({"output.weight", {c.vocabSize, c.dim}});
  for (int64_t l = 0; l < c.nLayers; ++l) {
    want.push_back({layerTensor(l, "attn_norm"), {c.dim}});
    want.push_back({layerTensor(l, "attn_q"), {qDim, c.dim}});
    want.push_back({layerTensor(l, "attn_k"), {kvDim, c.dim}});
    want.push_back({layerTensor(l, "attn_v"), {kvDim, c.dim}});
    want.push_back({layerTensor(l, "attn_output"), {c.dim, qDim}});
    want.push_back({layerTensor(l, "ffn_norm"), {c.dim}});
    want.push_back({layerTensor(l, "ffn_gate"), {c.hiddenDim, c.dim}});
    want.push_back({layerTensor(l, "ffn_up"), {c.hiddenDim, c.dim}});
    want.push_back({layerTensor(l, "ffn_down"), {c.dim, c.hiddenDim}});
    if (c.qkvBias) {
      want.push_back({layerTensor(l, "attn_q", "bias"), {qDim}});
      want.push_back({layerTensor(l, "attn_k", "bias"), {kvDim}});
      want.push_back({layerTensor(l, "attn_v", "bias"), {kvDim}});
    }
  }
  for (auto &[name, shape] : want)
    if (Status s = expectShape(*this, name, shape); !s)
      return s;
  return Status::success();
}

} // namespace itq3::model
