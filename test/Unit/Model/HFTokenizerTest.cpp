//===- HFTokenizerTest.cpp - tokenizer.json files written here ------------===//

#include "TestVocab.h"
#include "itq3/Model/Importers.h"
#include "itq3/Model/Tokenizer.h"

#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

/// JSON string literal of raw bytes (pieces are UTF-8 already).
std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

const std::string kQwen2Split =
    R"({"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false})";
const std::string kByteLevelNoRegex =
    R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false})";

struct Pipeline {
  std::string normalizer = R"({"type": "NFC"})";
  std::string pre = R"({"type": "Sequence", "pretokenizers": [)" + kQwen2Split +
                    ", " + kByteLevelNoRegex + "]}";
  std::string modelExtra;
  bool pairMerges = false; // ["a", "b"] rather than "a b"
};

/// The BpeVocab as a tokenizer.json: its pieces but the last in the vocab,
/// the last (<|im_start|>) as an added token.
std::string tokenizerJson(const Pipeline &p) {
  BpeVocab v;
  std::string vocab, merges;
  for (size_t i = 0; i + 1 < v.pieces.size(); ++i)
    vocab += (i ? ", " : "") + jsonString(v.pieces[i]) + ": " + std::to_string(i);
  for (const std::string &m : v.merges) {
    size_t sp = m.find(' ');
    merges += (merges.empty() ? "" : ", ") +
              (p.pairMerges ? "[" + jsonString(m.substr(0, sp)) + ", " +
                                  jsonString(m.substr(sp + 1)) + "]"
                            : jsonString(m));
  }
  return R"({"version": "1.0", "added_tokens": [{"id": )" +
         std::to_string(v.pieces.size() - 1) +
         R"(, "content": "<|im_start|>", "special": true}], "normalizer": )" +
         p.normalizer + R"(, "pre_tokenizer": )" + p.pre +
         R"(, "model": {"type": "BPE", "vocab": {)" + vocab +
         "}, \"merges\": [" + merges + "]" + p.modelExtra + "}}";
}

Status load(const Pipeline &p, Tokenizer &t, const std::string &config = "",
            int64_t vocabSize = 0) {
  TempDir dir;
  if (!config.empty())
    dir.write("tokenizer_config.json", config);
  return loadTokenizerFile(dir.write("tokenizer.json", tokenizerJson(p)),
                           vocabSize, t);
}

std::string loadError(const Pipeline &p, int64_t vocabSize = 0) {
  Tokenizer t;
  Status s = load(p, t, "", vocabSize);
  return s ? "" : s.message();
}

} // namespace

TEST(HFTokenizer, Qwen2PipelineMatchesTheDirectTokenizer) {
  BpeVocab v;
  Tokenizer direct;
  ASSERT_TRUE(Tokenizer::byteBPE(v.pieces, v.merges, PreTokenizer::Qwen2, -1,
                                 v.id("<|im_start|>"), direct));
  direct.setNormalizer(Tokenizer::Normalizer::NFC);
  direct.setSpecial({v.id("<|im_start|>")});
  for (bool pairs : {false, true}) {
    Pipeline p;
    p.pairMerges = pairs;
    Tokenizer t;
    Status s = load(p, t, R"({"eos_token": {"content": "<|im_start|>"}})");
    ASSERT_TRUE(s) << s.message();
    EXPECT_EQ(t.size(), direct.size());
    EXPECT_EQ(t.eos(), v.id("<|im_start|>"));
    EXPECT_EQ(t.bos(), -1);
    EXPECT_FALSE(t.addBos());
    EXPECT_EQ(t.normalizer(), Tokenizer::Normalizer::NFC);
    for (const char *text : {"hello world", "hello  world 42", "cafe\xCC\x81",
                             "<|im_start|>hello"})
      for (bool special : {false, true})
        EXPECT_EQ(t.encode(text, false, special),
                  direct.encode(text, false, special))
            << text;
  }
}

TEST(HFTokenizer, OtherKnownPipelines) {
  Pipeline gpt2;
  gpt2.normalizer = "null";
  gpt2.pre = R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})";
  Tokenizer t;
  ASSERT_TRUE(load(gpt2, t));
  EXPECT_EQ(t.normalizer(), Tokenizer::Normalizer::None);
  Pipeline smol = gpt2;
  smol.pre = R"({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, )" +
             gpt2.pre + "]}";
  ASSERT_TRUE(load(smol, t));
  BpeVocab v;
  EXPECT_EQ(t.encode("12", false), (std::vector<int32_t>{'1', '2'}));
  // BOS from tokenizer_config.json, added when it says so.
  ASSERT_TRUE(load(smol, t, R"({"bos_token": "<|im_start|>", "add_bos_token": true})"));
  EXPECT_EQ(t.bos(), v.id("<|im_start|>"));
  EXPECT_TRUE(t.addBos());
  // Padded to the model's vocabulary with placeholders no text produces.
  ASSERT_TRUE(load(smol, t, "", int64_t(v.pieces.size()) + 3));
  EXPECT_EQ(t.size(), int64_t(v.pieces.size()) + 3);
  EXPECT_EQ(t.encode("hello", false), (std::vector<int32_t>{v.id("hello")}));
}

TEST(HFTokenizer, UnsupportedPipelinesAreRefusedByName) {
  Pipeline p;
  p.normalizer = R"({"type": "NFKC"})";
  EXPECT_NE(loadError(p).find("normalizer 'NFKC'"), std::string::npos);
  p = Pipeline();
  p.pre = R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}, )" +
          kByteLevelNoRegex + "]}";
  EXPECT_NE(loadError(p).find("Split expression"), std::string::npos);
  p = Pipeline();
  p.pre = R"({"type": "Metaspace"})";
  EXPECT_NE(loadError(p).find("pre-tokenizer 'Metaspace'"), std::string::npos);
  p = Pipeline();
  p.modelExtra = R"(, "byte_fallback": true)";
  EXPECT_NE(loadError(p).find("SentencePiece-style"), std::string::npos);
  p = Pipeline();
  p.modelExtra = R"(, "continuing_subword_prefix": "##")";
  EXPECT_NE(loadError(p).find("continuing_subword_prefix"), std::string::npos);
  p = Pipeline();
  p.modelExtra = R"(, "dropout": null, "end_of_word_suffix": "")";
  EXPECT_EQ(loadError(p), "");
  p = Pipeline();
  p.modelExtra = R"(, "ignore_merges": true)";
  EXPECT_NE(loadError(p).find("ignore_merges"), std::string::npos);
  BpeVocab v;
  EXPECT_NE(loadError(Pipeline(), 10).find("more than the model's vocabulary"),
            std::string::npos);
}

TEST(HFTokenizer, MalformedFilesAreErrors) {
  TempDir dir;
  Tokenizer t;
  for (const char *bad :
       {"not json", "[]", R"({"model": {"type": "WordPiece"}})",
        R"({"model": {"type": "BPE", "vocab": {}, "merges": []}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []},
            "pre_tokenizer": {"type": "ByteLevel"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []},
            "pre_tokenizer": {"type": "ByteLevel"}})",
        R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [1]},
            "pre_tokenizer": {"type": "ByteLevel"}})"}) {
    Status s = loadTokenizerFile(dir.write("tokenizer.json", bad), 0, t);
    EXPECT_FALSE(s) << bad;
    EXPECT_NE(s.message().find("tokenizer.json"), std::string::npos)
        << s.message();
  }
  std::string absent = dir.write("tokenizer.json", "") + ".absent.json";
  EXPECT_FALSE(loadTokenizerFile(absent, 0, t));
}
