//===- SafeTensorsTest.cpp - safetensors + config.json on files made here -===//

#include "TestUtil.h"
#include "itq3/Model/Importers.h"

#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

/// HF name of one of our canonical tensors.
std::string hfName(const std::string &ours) {
  if (ours == "token_embd.weight")
    return "model.embed_tokens.weight";
  if (ours == "output_norm.weight")
    return "model.norm.weight";
  if (ours == "output.weight")
    return "lm_head.weight";
  static const std::pair<const char *, const char *> parts[] = {
      {"attn_norm", "input_layernorm"},   {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},     {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},     {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},      {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"}};
  size_t a = ours.find('.'), b = ours.find('.', a + 1), c = ours.rfind('.');
  std::string layer = ours.substr(a + 1, b - a - 1), what = ours.substr(b + 1, c - b - 1);
  for (auto [from, to] : parts)
    if (what == from)
      return "model.layers." + layer + "." + to + ours.substr(c);
  return ours;
}

std::string configJson(const ModelConfig &c) {
  return "{\"model_type\": \"" + c.arch + "\", \"hidden_size\": " +
         std::to_string(c.dim) + ", \"intermediate_size\": " +
         std::to_string(c.hiddenDim) + ", \"num_hidden_layers\": " +
         std::to_string(c.nLayers) + ", \"num_attention_heads\": " +
         std::to_string(c.nHeads) + ", \"num_key_value_heads\": " +
         std::to_string(c.nKvHeads) + ", \"vocab_size\": " +
         std::to_string(c.vocabSize) +
         ", \"max_position_embeddings\": 32, \"rope_theta\": 1000000.0,"
         " \"rms_norm_eps\": 1e-06, \"tie_word_embeddings\": " +
         (c.tiedOutput ? "true" : "false") + "}";
}

/// model.safetensors bytes: every tensor under its HF name, as F32 except
/// those named in `bf16` (stored as the upper half of each float), plus
/// `extra` header entries.
std::string safetensors(const Model &m, const std::string &extra = "",
                        const std::string &bf16 = "") {
  Bytes data;
  std::string header = "{\"__metadata__\": {\"format\": \"pt\"}";
  for (const auto &[name, t] : m.tensors) {
    size_t begin = data.size();
    bool half = name == bf16;
    for (float f : t.data) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      if (half)
        data.put<uint16_t>(uint16_t(bits >> 16));
      else
        data.put(f);
    }
    std::string shape;
    for (int64_t d : t.shape)
      shape += (shape.empty() ? "" : ",") + std::to_string(d);
    header += ", \"" + hfName(name) + "\": {\"dtype\": \"" +
              (half ? "BF16" : "F32") + "\", \"shape\": [" +
              shape + "], \"data_offsets\": [" + std::to_string(begin) + ", " +
              std::to_string(data.size()) + "]}";
  }
  header += extra + "}";
  Bytes file;
  file.put<uint64_t>(header.size()).raw(header);
  file.data.insert(file.data.end(), data.data.begin(), data.data.end());
  return std::string(file.data.begin(), file.data.end());
}

std::string loadError(const std::string &weights, const std::string &config) {
  TempDir dir;
  if (!config.empty())
    dir.write("config.json", config);
  Model m;
  Status s = loadModel(dir.write("model.safetensors", weights), m);
  return s ? "" : s.message();
}

} // namespace

TEST(SafeTensors, LoadsQwen2WithHFNames) {
  Model ref = tinyModel(8, 12, 2, 2, 1, 10, /*tied=*/false, /*bias=*/true);
  TempDir dir;
  dir.write("config.json", configJson(ref.config));
  Model m;
  Status s = loadModel(dir.write("model.safetensors", safetensors(ref)), m);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(m.source, "safetensors");
  EXPECT_TRUE(m.config.ropeHalves);
  EXPECT_TRUE(m.config.qkvBias);
  EXPECT_FALSE(m.config.tiedOutput);
  EXPECT_FLOAT_EQ(m.config.ropeBase, 1e6f);
  for (const auto &[name, t] : ref.tensors) {
    ASSERT_NE(m.find(name), nullptr) << name;
    EXPECT_EQ(m.find(name)->data, t.data) << name;
  }
}

TEST(SafeTensors, BF16IsWidenedAndOtherDtypesRefused) {
  Model ref = tinyModel();
  TempDir dir;
  dir.write("config.json", configJson(ref.config));
  Model m;
  Status s = loadModel(
      dir.write("model.safetensors", safetensors(ref, "", "blk.0.ffn_up.weight")), m);
  ASSERT_TRUE(s) << s.message();
  const std::vector<float> &want = ref.find("blk.0.ffn_up.weight")->data;
  const Tensor &got = *m.find("blk.0.ffn_up.weight");
  EXPECT_EQ(got.sourceType, "bf16");
  for (size_t i = 0; i < want.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &want[i], 4);
    bits &= 0xFFFF0000u; // what BF16 keeps of the float
    float truncated;
    std::memcpy(&truncated, &bits, 4);
    EXPECT_EQ(got.data[i], truncated);
  }
  // Unknown names are skipped; an I8 tensor under a known name is refused.
  std::string extra = safetensors(ref, ", \"rotary.inv_freq\": {\"dtype\": \"I8\", "
                                       "\"shape\": [2], \"data_offsets\": [0, 2]}");
  EXPECT_EQ(loadError(extra, configJson(ref.config)), "");
  std::string bad = safetensors(ref, ", \"model.layers.0.mlp.up_proj.bias\": "
                                     "{\"dtype\": \"I8\", \"shape\": [12], "
                                     "\"data_offsets\": [0, 12]}");
  std::string err = loadError(bad, configJson(ref.config));
  EXPECT_NE(err.find("dtype I8"), std::string::npos) << err;
}

TEST(SafeTensors, CorruptFilesAreCleanErrors) {
  Model ref = tinyModel();
  std::string cfg = configJson(ref.config), good = safetensors(ref);
  // Header length far beyond the file.
  std::string huge = good;
  uint64_t big = uint64_t(1) << 50;
  std::memcpy(&huge[0], &big, 8);
  EXPECT_NE(loadError(huge, cfg).find("truncated"), std::string::npos);
  // Offsets past the end of the data.
  std::string past = safetensors(ref, ", \"model.layers.0.mlp.up_proj.bias\": "
                                      "{\"dtype\": \"F32\", \"shape\": [12], "
                                      "\"data_offsets\": [99999952, 100000000]}");
  EXPECT_NE(loadError(past, cfg).find("past the end"), std::string::npos);
  // A shape whose byte count overflows 64 bits, and offsets beyond any
  // integer: refused without converting them.
  const std::string entry = ", \"model.layers.0.mlp.up_proj.bias\": "
                            "{\"dtype\": \"F32\", ";
  std::string overflow = safetensors(
      ref, entry + "\"shape\": [1000000000000, 1000000000000], "
                   "\"data_offsets\": [0, 16]}");
  EXPECT_NE(loadError(overflow, cfg).find("has an invalid shape"),
            std::string::npos)
      << loadError(overflow, cfg);
  std::string far = safetensors(
      ref, entry + "\"shape\": [4], \"data_offsets\": [1e300, 1e300]}");
  EXPECT_NE(loadError(far, cfg).find("[out of range, out of range)"),
            std::string::npos)
      << loadError(far, cfg);
  // A config size no integer can hold.
  std::string hugeDim = cfg;
  size_t key = hugeDim.find("\"hidden_size\": ") + 15;
  hugeDim.replace(key, hugeDim.find_first_of(",}", key) - key, "1e300");
  EXPECT_NE(loadError(good, hugeDim).find("'hidden_size' is not a valid size"),
            std::string::npos)
      << loadError(good, hugeDim);
  // Broken JSON, a missing config.json, an unsupported architecture.
  std::string broken = good;
  broken[8] = 'x'; // the header's opening brace
  EXPECT_NE(loadError(broken, cfg).find("bad header"), std::string::npos);
  EXPECT_NE(loadError(good, "").find("config.json"), std::string::npos);
  ModelConfig gemma = ref.config;
  gemma.arch = "gemma3";
  EXPECT_NE(loadError(good, configJson(gemma)).find("'gemma3'"), std::string::npos);
}

TEST(SafeTensors, MissingTensorsAreNamedAsTheCheckpointNamesThem) {
  Model ref = tinyModel();
  ref.tensors.erase("blk.0.ffn_up.weight");
  std::string err = loadError(safetensors(ref), configJson(ref.config));
  EXPECT_NE(err.find("missing tensor 'model.layers.0.mlp.up_proj.weight "
                     "(blk.0.ffn_up.weight)'"),
            std::string::npos)
      << err;
}

TEST(SafeTensors, TokenizerJsonBesideTheWeightsIsLoaded) {
  Model ref = tinyModel();
  TempDir dir;
  dir.write("config.json", configJson(ref.config));
  std::string weights = dir.write("model.safetensors", safetensors(ref));
  Model m;
  std::unique_ptr<Tokenizer> tok;
  ASSERT_TRUE(loadModel(weights, m, &tok));
  EXPECT_EQ(tok, nullptr); // none there: the tools ask for --tokenizer
  // Three pieces (ids 0..2), padded to the model's vocabulary.
  dir.write("tokenizer.json",
            R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2},
                "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel"}})");
  Status s = loadModel(weights, m, &tok);
  ASSERT_TRUE(s) << s.message();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->size(), m.config.vocabSize);
  EXPECT_EQ(tok->encode("ab", false), (std::vector<int32_t>{2}));
}
