//===- SafeTensors.cpp - safetensors + config.json importer ---------------===//
//
// A safetensors file is a u64 header length, a JSON header mapping tensor
// names to {dtype, shape, data_offsets: [begin, end)} relative to the end of
// the header, then the data. The architecture comes from the config.json
// beside it; names are Hugging Face's and are mapped to ours.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Importers.h"
#include "ByteReader.h"
#include "GGML.h"
#include "Json.h"

#include <fstream>
#include <sstream>

namespace itq3::model {

namespace {

// Hugging Face names and ours, both ways: whole names, then the parts of a
// layer's names after "model.layers.N." / "blk.N.".
constexpr std::pair<const char *, const char *> kTopNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"}};
constexpr std::pair<const char *, const char *> kLayerParts[] = {
    {"input_layernorm.", "attn_norm."},
    {"post_attention_layernorm.", "ffn_norm."},
    {"self_attn.q_proj.", "attn_q."},
    {"self_attn.k_proj.", "attn_k."},
    {"self_attn.v_proj.", "attn_v."},
    {"self_attn.o_proj.", "attn_output."},
    {"mlp.gate_proj.", "ffn_gate."},
    {"mlp.up_proj.", "ffn_up."},
    {"mlp.down_proj.", "ffn_down."}};

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// Renames by the tables, from column `from` to the other; "" when the name
/// is not one of them.
std::string rename(const std::string &name, bool fromHF) {
  auto pick = [&](auto pair, bool source) {
    return std::string(source == fromHF ? pair.first : pair.second);
  };
  for (auto pair : kTopNames)
    if (name == pick(pair, true))
      return pick(pair, false);
  std::string prefix = fromHF ? "model.layers." : "blk.";
  if (!startsWith(name, prefix))
    return "";
  size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos)
    return "";
  std::string layer = name.substr(prefix.size(), dot - prefix.size());
  std::string rest = name.substr(dot + 1);
  for (auto pair : kLayerParts)
    if (startsWith(rest, pick(pair, true)))
      return (fromHF ? "blk." : "model.layers.") + layer + "." +
             pick(pair, false) + rest.substr(pick(pair, true).size());
  return "";
}

/// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight".
std::string canonicalName(const std::string &hf) { return rename(hf, true); }
std::string hfName(const std::string &ours) { return rename(ours, false); }

Status readConfig(const std::string &path, ModelConfig &c) {
  std::ifstream in(path);
  if (!in)
    return Status::error(path + ": cannot open (the safetensors importer "
                                "needs the model's config.json beside it)");
  std::stringstream ss;
  ss << in.rdbuf();
  json::Value cfg;
  if (Status s = json::parse(ss.str(), cfg); !s)
    return Status::error(path + ": " + s.message());
  auto num = [&](const char *key, int64_t &out, bool required) -> Status {
    const json::Value *v = cfg.get(key);
    if (!v || !v->isNumber()) {
      if (required)
        return Status::error(path + ": missing number '" + key + "'");
      return Status::success();
    }
    // Converting a double outside int64's range is undefined behaviour.
    if (!(v->number >= 0 && v->number <= 1e15))
      return Status::error(path + ": '" + key + "' is not a valid size");
    out = int64_t(v->number);
    return Status::success();
  };
  const json::Value *type = cfg.get("model_type");
  c.arch = type && type->isString() ? type->string : "";
  if (c.arch != "llama" && c.arch != "qwen2")
    return Status::error(path + ": model_type '" + c.arch +
                         "' is not supported (llama and qwen2 are)");
  Status s = num("hidden_size", c.dim, true);
  if (s) s = num("intermediate_size", c.hiddenDim, true);
  if (s) s = num("num_hidden_layers", c.nLayers, true);
  if (s) s = num("num_attention_heads", c.nHeads, true);
  c.nKvHeads = c.nHeads;
  if (s) s = num("num_key_value_heads", c.nKvHeads, false);
  if (s) s = num("vocab_size", c.vocabSize, true);
  if (s) s = num("max_position_embeddings", c.seqLen, true);
  if (!s)
    return s;
  c.headDim = c.nHeads > 0 ? c.dim / c.nHeads : 0;
  if (Status h = num("head_dim", c.headDim, false); !h)
    return h;
  if (const json::Value *v = cfg.get("rope_theta"); v && v->isNumber())
    c.ropeBase = float(v->number);
  if (const json::Value *v = cfg.get("rms_norm_eps"); v && v->isNumber())
    c.normEps = float(v->number);
  const json::Value *tie = cfg.get("tie_word_embeddings");
  c.tiedOutput = tie && tie->kind == json::Value::Kind::Bool && tie->boolean;
  c.ropeHalves = true; // HF checkpoints rotate halves of each head
  c.qkvBias = c.arch == "qwen2";
  return validateConfig(c);
}

/// An offset from the JSON header for an error message (it may be anything).
std::string offsetText(double offset) {
  if (offset >= 0 && offset < 1e18)
    return std::to_string(uint64_t(offset));
  return "out of range";
}

Status decodeEntry(const ByteReader &r, uint64_t dataStart,
                   const std::string &name, const json::Value &info,
                   Tensor &out) {
  const json::Value *dtype = info.get("dtype"), *shape = info.get("shape"),
                    *offsets = info.get("data_offsets");
  if (!dtype || !dtype->isString() || !shape ||
      shape->kind != json::Value::Kind::Array || !offsets ||
      offsets->array.size() != 2)
    return r.error("tensor '" + name + "' lacks dtype, shape or data_offsets");
  int64_t width = dtype->string == "F32" ? 4
                  : dtype->string == "F16" || dtype->string == "BF16" ? 2
                                                                      : 0;
  if (!width)
    return r.error("tensor '" + name + "' has dtype " + dtype->string +
                   ", which is not supported (F32, F16, BF16 are)");
  int64_t numel = 1;
  for (const json::Value &d : shape->array)
    if (!d.isNumber() || d.number < 1 || d.number > 1e12 ||
        !mulChecked(numel, int64_t(d.number), numel))
      return r.error("tensor '" + name + "' has an invalid shape");
  double begin = offsets->array[0].number, end = offsets->array[1].number;
  int64_t bytes = 0;
  // Offsets are compared as doubles before any conversion: a value past the
  // file would be undefined to convert.
  if (!mulChecked(numel, width, bytes) || !(begin >= 0) || end < begin ||
      end - begin != double(bytes) || end > double(r.size() - dataStart))
    return r.error("tensor '" + name + "' data offsets [" + offsetText(begin) +
                   ", " + offsetText(end) +
                   ") do not match its shape or run past the end of the file");
  const uint8_t *p = nullptr;
  ByteReader at = r;
  if (Status s = at.seek(dataStart + uint64_t(begin), "tensor data"); !s)
    return s;
  if (Status s = at.bytes(uint64_t(bytes), p, "tensor data"); !s)
    return s;
  out.shape.clear();
  for (const json::Value &d : shape->array)
    out.shape.push_back(int64_t(d.number));
  out.data.resize(size_t(numel));
  const ggml::TypeInfo *type = ggml::typeInfo(
      dtype->string == "F32" ? 0 : dtype->string == "F16" ? 1 : 30);
  type->dequantize(p, out.data.data(), numel);
  out.sourceType = type->name;
  return Status::success();
}

} // namespace

Status loadSafeTensors(const std::string &path, Model &out,
                       std::unique_ptr<Tokenizer> *tokenizer) {
  Model m;
  m.source = "safetensors";
  m.nameInSource = hfName;
  std::string dir = path.substr(0, path.find_last_of('/') + 1);
  if (Status s = readConfig(dir + "config.json", m.config); !s)
    return s;
  MappedFile file;
  if (Status s = file.open(path); !s)
    return s;
  ByteReader r(file.data(), file.size(), path);
  uint64_t headerLen;
  if (Status s = r.read(headerLen, "header length"); !s)
    return s;
  const uint8_t *text;
  if (Status s = r.bytes(headerLen, text, "JSON header"); !s)
    return s;
  json::Value header;
  if (Status s = json::parse(std::string(reinterpret_cast<const char *>(text),
                                         size_t(headerLen)),
                             header);
      !s || header.kind != json::Value::Kind::Object)
    return Status::error(path + ": bad header: " +
                         (s ? "not a JSON object" : s.message()));
  for (const auto &[name, info] : header.object) {
    if (name == "__metadata__")
      continue;
    std::string ours = canonicalName(name);
    if (ours.empty())
      continue; // e.g. rotary caches some exporters store
    if (Status s = decodeEntry(r, 8 + headerLen, name, info, m.tensors[ours]); !s)
      return s;
  }
  if (Status s = m.validate(); !s)
    return Status::error(path + ": " + s.message());
  std::string tokenizerJson = dir + "tokenizer.json";
  if (tokenizer && std::ifstream(tokenizerJson)) {
    auto tok = std::make_unique<Tokenizer>();
    if (Status s = loadHFTokenizer(tokenizerJson, m.config.vocabSize, *tok); !s)
      return s;
    *tokenizer = std::move(tok);
  }
  out = std::move(m);
  return Status::success();
}

} // namespace itq3::model
