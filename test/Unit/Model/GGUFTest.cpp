//===- GGUFTest.cpp - GGUF importer on files written by the test ----------===//
//
// Every file is assembled here from the published GGUF layout. The block
// types are checked against values computed from the layout description
// (one formula per weight), not against another implementation.
//
//===----------------------------------------------------------------------===//

#include "GGUFWriter.h"
#include "TestUtil.h"
#include "itq3/Model/Importers.h"

#include <algorithm>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

Status load(const Bytes &b, Model &m,
            std::unique_ptr<Tokenizer> *tok = nullptr) {
  TempFile f("test.gguf", b.data);
  return loadGGUF(f.path(), m, tok);
}

std::string loadError(const Bytes &b) {
  Model m;
  Status s = load(b, m);
  return s ? "" : s.message();
}

std::vector<uint8_t> half(uint16_t h) { return {uint8_t(h), uint8_t(h >> 8)}; }

} // namespace

TEST(GGUF, LoadsLlamaTensorsAndConfig) {
  Model ref = tinyModel(8, 12, 2, 2, 1, 10, /*tied=*/false);
  Model m;
  Status s = load(modelWriter(ref).build(), m);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(m.config.arch, "llama");
  EXPECT_FLOAT_EQ(m.config.ropeBase, 500000.0f);
  EXPECT_FALSE(m.config.ropeHalves);
  EXPECT_FALSE(m.config.tiedOutput);
  EXPECT_EQ(m.config.vocabSize, 10);
  for (const auto &[name, t] : ref.tensors) {
    ASSERT_NE(m.find(name), nullptr) << name;
    EXPECT_EQ(m.find(name)->shape, t.shape) << name;
    EXPECT_EQ(m.find(name)->data, t.data) << name;
  }
}

TEST(GGUF, Qwen2HasBiasesAndHalvesRope) {
  Model ref = tinyModel(8, 12, 1, 2, 1, 10, true, /*bias=*/true);
  Model m;
  Status s = load(modelWriter(ref, "qwen2").build(), m);
  ASSERT_TRUE(s) << s.message();
  EXPECT_TRUE(m.config.qkvBias);
  EXPECT_TRUE(m.config.ropeHalves);
  EXPECT_TRUE(m.config.tiedOutput);
  // Without its biases a qwen2 file is incomplete.
  GGUFWriter w = modelWriter(tinyModel(8, 12, 1, 2, 1, 10), "qwen2");
  EXPECT_NE(loadError(w.build()).find("attn_q.bias"), std::string::npos);
}

TEST(GGUF, WrongTensorShapeIsNamed) {
  Model bad = tinyModel();
  bad.find("blk.1.attn_k.weight")->shape = {8, 4}; // should be [4, 8]
  std::string err = loadError(modelWriter(bad).build());
  EXPECT_NE(err.find("'blk.1.attn_k.weight' has shape [8, 4], expected [4, 8]"),
            std::string::npos)
      << err;
}

TEST(GGUF, ScaledRopeIsRefusedNotIgnored) {
  GGUFWriter w = modelWriter(tinyModel());
  w.str("llama.rope.scaling.type", "linear");
  EXPECT_NE(loadError(w.build()).find("RoPE scaling 'linear' is not supported"),
            std::string::npos);

  Model withFreqs = tinyModel();
  withFreqs.tensors["rope_freqs.weight"] = Tensor{{4}, {1, 1, 2, 4}};
  EXPECT_NE(loadError(modelWriter(withFreqs).build())
                .find("RoPE frequency scaling (rope_freqs.weight)"),
            std::string::npos);
}

TEST(GGUF, TokenizerLargerThanTheEmbeddingIsRefused) {
  GGUFWriter w = modelWriter(tinyModel(8, 12, 2, 2, 1, /*vocab=*/4));
  w.str("tokenizer.ggml.model", "gpt2");
  w.strings("tokenizer.ggml.tokens", {"a", "b", "c", "d", "e", "f"});
  w.strings("tokenizer.ggml.merges", {});
  Model m;
  std::unique_ptr<Tokenizer> tok;
  Status s = load(w.build(), m, &tok);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("the tokenizer has 6 tokens but the model only 4 "
                             "embeddings"),
            std::string::npos)
      << s.message();
}

TEST(GGUF, UnknownArchitectureIsNamed) {
  GGUFWriter w = modelWriter(tinyModel(), "gemma3");
  EXPECT_NE(loadError(w.build()).find("'gemma3' is not supported"),
            std::string::npos);
}

namespace {

/// Loads the tiny model plus one extra tensor and returns that tensor.
Tensor decodeExtra(uint32_t type, uint64_t n, std::vector<uint8_t> data) {
  GGUFWriter w = modelWriter(tinyModel());
  w.tensor("extra", {n}, type, std::move(data));
  Model m;
  Status s = load(w.build(), m);
  EXPECT_TRUE(s) << s.message();
  return s ? *m.find("extra") : Tensor();
}

/// Packs eight 6-bit (scale, min) pairs the way Q4_K/Q5_K store them.
std::vector<uint8_t> packScales(const int sc[8], const int mn[8]) {
  std::vector<uint8_t> s(12);
  for (int j = 0; j < 4; ++j) {
    s[size_t(j)] = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[size_t(j + 4)] = uint8_t(mn[j] | ((mn[j + 4] >> 4) << 6));
    s[size_t(j + 8)] = uint8_t((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  return s;
}

const int kScales[8] = {10, 17, 24, 31, 38, 45, 52, 59};
const int kMins[8] = {60, 55, 50, 45, 40, 35, 30, 25};

} // namespace

TEST(GGUFTypes, F16AndBF16) {
  std::vector<uint8_t> f16;
  for (uint16_t h : {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001})
    for (uint8_t b : half(h))
      f16.push_back(b);
  Tensor t = decodeExtra(1, 5, f16);
  EXPECT_EQ(t.data, (std::vector<float>{1, -2, 0.5f, 65504, 5.9604645e-08f}));
  EXPECT_EQ(t.sourceType, "f16");
  std::vector<uint8_t> bf;
  for (uint16_t h : {0x3F80, 0xC000, 0x4040, 0x3E20})
    for (uint8_t b : half(h))
      bf.push_back(b);
  EXPECT_EQ(decodeExtra(30, 4, bf).data,
            (std::vector<float>{1, -2, 3, 0.15625f}));
}

TEST(GGUFTypes, Q8_0Q4_0Q4_1) {
  std::vector<uint8_t> q8 = half(0x3800); // d = 0.5
  for (int i = 0; i < 32; ++i)
    q8.push_back(uint8_t(int8_t(i - 16)));
  Tensor t = decodeExtra(8, 32, q8);
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(t.data[size_t(i)], 0.5f * float(i - 16));

  std::vector<uint8_t> q4 = half(0x4000); // d = 2
  for (int j = 0; j < 16; ++j)
    q4.push_back(uint8_t(j | ((15 - j) << 4)));
  t = decodeExtra(2, 32, q4);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(t.data[size_t(j)], 2.0f * float(j - 8));       // low nibbles
    EXPECT_EQ(t.data[size_t(j + 16)], 2.0f * float(7 - j));  // high nibbles
  }

  std::vector<uint8_t> q41 = half(0x3800); // d = 0.5, m = -1
  for (uint8_t b : half(0xBC00))
    q41.push_back(b);
  for (int j = 0; j < 16; ++j)
    q41.push_back(uint8_t(j | ((15 - j) << 4)));
  t = decodeExtra(3, 32, q41);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(t.data[size_t(j)], 0.5f * float(j) - 1);
    EXPECT_EQ(t.data[size_t(j + 16)], 0.5f * float(15 - j) - 1);
  }
}

TEST(GGUFTypes, Q4_KAndQ5_K) {
  // d = 1, dmin = 0.5; sub-block j has scale kScales[j] and min kMins[j];
  // 4-bit value of weight 64p + i is the low (i < 32) or high nibble of
  // qs[32p + i % 32]; Q5_K adds bit (2p or 2p + 1) of qh[i % 32] as 16.
  std::vector<uint8_t> qs(128), qh(32);
  for (int i = 0; i < 128; ++i)
    qs[size_t(i)] = uint8_t((i % 16) | ((15 - i % 16) << 4));
  for (int i = 0; i < 32; ++i)
    qh[size_t(i)] = uint8_t(i * 37 + 11);
  std::vector<uint8_t> head = half(0x3C00), dmin = half(0x3800),
                       scales = packScales(kScales, kMins);
  head.insert(head.end(), dmin.begin(), dmin.end());
  head.insert(head.end(), scales.begin(), scales.end());

  std::vector<uint8_t> q4k = head;
  q4k.insert(q4k.end(), qs.begin(), qs.end());
  std::vector<uint8_t> q5k = head;
  q5k.insert(q5k.end(), qh.begin(), qh.end());
  q5k.insert(q5k.end(), qs.begin(), qs.end());
  Tensor t4 = decodeExtra(12, 256, q4k), t5 = decodeExtra(13, 256, q5k);
  ASSERT_EQ(t4.data.size(), 256u);
  ASSERT_EQ(t5.data.size(), 256u);
  for (int n = 0; n < 256; ++n) {
    int p = n / 64, i = n % 64, j = 2 * p + (i >= 32);
    uint8_t byte = qs[size_t(32 * p + i % 32)];
    int q = i < 32 ? byte & 0xF : byte >> 4;
    int bit = (qh[size_t(i % 32)] >> j) & 1;
    EXPECT_EQ(t4.data[size_t(n)], float(kScales[j] * q) - 0.5f * float(kMins[j]));
    EXPECT_EQ(t5.data[size_t(n)],
              float(kScales[j] * (q + 16 * bit)) - 0.5f * float(kMins[j]));
  }
}

TEST(GGUFTypes, Q6_K) {
  // Weight n: half h = n / 128, r = n % 128, group g = r / 32, l = r % 32.
  // Low 4 bits: nibble g / 2 of ql[64h + l + 32 (g % 2)]; high 2 bits:
  // bits 2g, 2g + 1 of qh[32h + l]; value - 32, times d and the int8 scale
  // of sub-block 8h + l / 16 + 2g.
  std::vector<uint8_t> ql(128), qh(64), b;
  std::vector<int8_t> sc(16);
  for (int i = 0; i < 128; ++i)
    ql[size_t(i)] = uint8_t(i * 13 + 5);
  for (int i = 0; i < 64; ++i)
    qh[size_t(i)] = uint8_t(i * 29 + 3);
  for (int i = 0; i < 16; ++i)
    sc[size_t(i)] = int8_t(i - 8);
  b = ql;
  b.insert(b.end(), qh.begin(), qh.end());
  for (int8_t s : sc)
    b.push_back(uint8_t(s));
  for (uint8_t x : half(0x3400)) // d = 0.25
    b.push_back(x);
  Tensor t = decodeExtra(14, 256, b);
  ASSERT_EQ(t.data.size(), 256u);
  for (int n = 0; n < 256; ++n) {
    int h = n / 128, r = n % 128, g = r / 32, l = r % 32;
    int low = (ql[size_t(64 * h + l + 32 * (g % 2))] >> (4 * (g / 2))) & 0xF;
    int high = (qh[size_t(32 * h + l)] >> (2 * g)) & 3;
    int q = (low | (high << 4)) - 32;
    EXPECT_EQ(t.data[size_t(n)], 0.25f * float(sc[size_t(8 * h + l / 16 + 2 * g)]) * float(q))
        << n;
  }
}

TEST(GGUFTypes, UnsupportedTypeIsNamed) {
  GGUFWriter w = modelWriter(tinyModel());
  w.tensor("extra", {256}, 17, std::vector<uint8_t>(74)); // IQ2_XS
  std::string err = loadError(w.build());
  EXPECT_NE(err.find("IQ2_XS"), std::string::npos) << err;
  EXPECT_NE(err.find("not supported"), std::string::npos) << err;
}

TEST(GGUFErrors, BadMagicAndVersion) {
  Bytes b;
  b.raw("GGML").put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(0);
  EXPECT_NE(loadError(b).find("bad magic"), std::string::npos);
  GGUFWriter w = modelWriter(tinyModel());
  w.version = 1;
  EXPECT_NE(loadError(w.build()).find("version 1"), std::string::npos);
}

TEST(GGUFErrors, TruncatedAnywhereIsACleanError) {
  Bytes full = modelWriter(tinyModel()).build();
  // Cut inside the metadata, the tensor table and the data.
  for (size_t cut : {size_t(10), size_t(60), full.size() / 2, full.size() - 1}) {
    Bytes b = full;
    b.data.resize(cut);
    std::string err = loadError(b);
    EXPECT_FALSE(err.empty()) << "cut at " << cut;
    EXPECT_NE(err.find("test.gguf"), std::string::npos) << err;
  }
}

TEST(GGUFErrors, AbsurdCountsAndLengths) {
  Bytes b;
  b.raw("GGUF").put<uint32_t>(3).put<uint64_t>(uint64_t(1) << 60).put<uint64_t>(1);
  EXPECT_NE(loadError(b).find("cannot fit"), std::string::npos);

  GGUFWriter w;
  w.meta.str64("tokenizer.ggml.tokens").put<uint32_t>(ARRAY).put<uint32_t>(STRING)
      .put<uint64_t>(uint64_t(1) << 50);
  w.nKv = 1;
  std::string err = loadError(w.build());
  EXPECT_NE(err.find("does not fit"), std::string::npos) << err;

  GGUFWriter big = modelWriter(tinyModel());
  big.tensor("extra", {uint64_t(1) << 39, uint64_t(1) << 39}, 0, {});
  err = loadError(big.build());
  EXPECT_NE(err.find("'extra'"), std::string::npos) << err;
}

TEST(GGUFErrors, OffsetPastTheEndAndMisalignment) {
  GGUFWriter w = modelWriter(tinyModel());
  Bytes b = w.build();
  // Rewrite the first tensor's offset field: it sits right before the
  // second tensor's name; find it through the first name instead.
  const std::string first = w.tensors[0].name;
  auto it = std::search(b.data.begin(), b.data.end(), first.begin(), first.end());
  size_t field = size_t(it - b.data.begin()) + first.size() + 4 +
                 8 * w.tensors[0].dims.size() + 4;
  uint64_t far = uint64_t(1) << 40;
  std::memcpy(&b.data[field], &far, 8);
  EXPECT_NE(loadError(b).find("past the end"), std::string::npos);
  uint64_t odd = 4;
  std::memcpy(&b.data[field], &odd, 8);
  EXPECT_NE(loadError(b).find("not aligned"), std::string::npos);

  GGUFWriter bad = modelWriter(tinyModel());
  bad.u32("general.alignment", 24);
  EXPECT_NE(loadError(bad.build()).find("power of two"), std::string::npos);
}

TEST(GGUFTokenizer, Gpt2WithDeclaredPreTokenizer) {
  GGUFWriter w = modelWriter(tinyModel());
  std::vector<std::string> tokens = {"a", "b", "\xC4\xA0", "ab", "\xC4\xA0" "ab",
                                     "<|im_start|>", "1", "2"};
  w.str("tokenizer.ggml.model", "gpt2");
  w.str("tokenizer.ggml.pre", "smollm");
  w.strings("tokenizer.ggml.tokens", tokens);
  w.strings("tokenizer.ggml.merges", {"a b", "\xC4\xA0 ab"});
  w.numbers<int32_t>("tokenizer.ggml.token_type", I32, {1, 1, 1, 1, 1, 3, 1, 1});
  w.u32("tokenizer.ggml.bos_token_id", 5);
  w.u32("tokenizer.ggml.eos_token_id", 5);
  Model m;
  std::unique_ptr<Tokenizer> tok;
  Status s = load(w.build(), m, &tok);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(tok->kind(), Tokenizer::Kind::ByteBPE);
  EXPECT_FALSE(tok->addBos()); // gpt2 default when the file says nothing
  // "ab ab12": "ab", " ab" (merged after "a b"), then digits one by one.
  EXPECT_EQ(tok->encode("<|im_start|>ab ab12", false, true),
            (std::vector<int32_t>{5, 3, 4, 6, 7}));

  w.str("tokenizer.ggml.pre", "mystery"); // the later key wins
  s = load(w.build(), m, &tok);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("'mystery'"), std::string::npos);
}

TEST(GGUFTokenizer, LlamaSentencePieceWithSpaceMarks) {
  GGUFWriter w = modelWriter(tinyModel());
  // U+2581 marks a space in SentencePiece vocabularies.
  w.str("tokenizer.ggml.model", "llama");
  w.strings("tokenizer.ggml.tokens",
            {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "h", "i", "hi",
             "\xE2\x96\x81hi"});
  w.numbers<float>("tokenizer.ggml.scores", F32, {0, 0, 0, -1, -1, -1, -2, -3});
  w.u32("tokenizer.ggml.bos_token_id", 1);
  w.u32("tokenizer.ggml.eos_token_id", 2);
  Model m;
  std::unique_ptr<Tokenizer> tok;
  Status s = load(w.build(), m, &tok);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(tok->kind(), Tokenizer::Kind::SentencePiece);
  EXPECT_TRUE(tok->addBos());
  // " hi hi": "hi" (-2) first, then " hi" (-3), twice.
  std::vector<int32_t> ids = tok->encode("hi hi", true);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 7, 7}));
  EXPECT_EQ(tok->decode(ids), "hi hi");
}
