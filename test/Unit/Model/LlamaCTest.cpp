//===- LlamaCTest.cpp - llama2.c importer on files written here -----------===//

#include "TestUtil.h"
#include "itq3/Model/Importers.h"

#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

/// Serializes a model in llama2.c's legacy layout (the inverse of the
/// importer, written from the format description).
Bytes llama2c(const Model &m) {
  const ModelConfig &c = m.config;
  Bytes b;
  int32_t vocab = int32_t(c.tiedOutput ? c.vocabSize : -c.vocabSize);
  for (int64_t v : {c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads,
                    int64_t(vocab), c.seqLen})
    b.put<int32_t>(int32_t(v));
  b.floats(m.find("token_embd.weight")->data);
  for (const char *w : {"attn_norm", "attn_q", "attn_k", "attn_v",
                        "attn_output", "ffn_norm", "ffn_gate", "ffn_down",
                        "ffn_up"})
    for (int64_t l = 0; l < c.nLayers; ++l)
      b.floats(m.find(layerTensor(l, w))->data);
  b.floats(m.find("output_norm.weight")->data);
  b.floats(std::vector<float>(size_t(c.seqLen * c.headDim), 0.0f));
  if (!c.tiedOutput)
    b.floats(m.find("output.weight")->data);
  return b;
}

std::string loadError(const Bytes &b) {
  TempFile f("bad.bin", b.data);
  Model m;
  Status s = loadLlama2c(f.path(), m);
  return s ? "" : s.message();
}

} // namespace

TEST(LlamaC, RoundTripsEveryTensor) {
  Model ref = tinyModel();
  TempFile f("tiny.bin", llama2c(ref).data);
  Model m;
  Status s = loadLlama2c(f.path(), m);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(m.config.dim, 8);
  EXPECT_EQ(m.config.nKvHeads, 1);
  EXPECT_TRUE(m.config.tiedOutput);
  EXPECT_EQ(m.tensors.size(), ref.tensors.size());
  for (const auto &[name, t] : ref.tensors) {
    const Tensor *got = m.find(name);
    ASSERT_NE(got, nullptr) << name;
    EXPECT_EQ(got->shape, t.shape) << name;
    EXPECT_EQ(got->data, t.data) << name;
  }
}

TEST(LlamaC, NegativeVocabMeansSeparateClassifier) {
  Model ref = tinyModel(8, 12, 1, 2, 2, 10, /*tied=*/false);
  TempFile f("untied.bin", llama2c(ref).data);
  Model m;
  ASSERT_TRUE(loadLlama2c(f.path(), m));
  EXPECT_FALSE(m.config.tiedOutput);
  EXPECT_EQ(m.config.vocabSize, 10);
  EXPECT_EQ(m.find("output.weight")->data, ref.find("output.weight")->data);
}

TEST(LlamaC, TruncatedFileIsAnError) {
  Bytes b = llama2c(tinyModel());
  b.data.resize(b.size() - 7);
  std::string err = loadError(b);
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
  EXPECT_NE(err.find("bad.bin"), std::string::npos) << err;
}

TEST(LlamaC, ShortHeaderIsAnError) {
  Bytes b;
  b.put<int32_t>(8).put<int32_t>(12);
  EXPECT_NE(loadError(b).find("header"), std::string::npos);
}

TEST(LlamaC, AbsurdHeaderIsRefusedBeforeAllocating) {
  Bytes b;
  for (int32_t v : {1 << 30, 1 << 30, 1000, 1 << 20, 1, 1 << 30, 1 << 30})
    b.put(v);
  std::string err = loadError(b);
  EXPECT_NE(err.find("implausible"), std::string::npos) << err;
}

TEST(LlamaC, HeadsMustDivideDimAndKvHeads) {
  Bytes b;
  for (int32_t v : {8, 12, 1, 3, 1, 10, 32})
    b.put(v);
  EXPECT_NE(loadError(b).find("not a multiple of n_heads"), std::string::npos);
  Bytes c;
  for (int32_t v : {8, 12, 1, 4, 3, 10, 32})
    c.put(v);
  EXPECT_NE(loadError(c).find("kv heads"), std::string::npos);
}

TEST(LlamaC, TrailingBytesAreReported) {
  Bytes b = llama2c(tinyModel());
  b.put<float>(1.0f); // e.g. a classifier the header says is shared
  EXPECT_NE(loadError(b).find("trailing"), std::string::npos);
}

TEST(LlamaC, MissingFileNamesThePath) {
  Model m;
  Status s = loadLlama2c("/nonexistent/model.bin", m);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("/nonexistent/model.bin"), std::string::npos);
}
