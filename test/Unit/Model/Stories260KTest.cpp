//===- Stories260KTest.cpp - The real llama2.c model in ../shared ---------===//
//
// Skipped (not failed) when ../shared/models is absent: the repository alone
// must build and pass.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"
#include "itq3/Model/Eval.h"
#include "itq3/Model/Importers.h"

#include <algorithm>
#include <random>
#include <gtest/gtest.h>
#include <map>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

// Written for this test in the style of the model's training stories.
const char *kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play "
    "in the park with her friends. One day, Lily saw a big red ball under a "
    "tree. She ran to the ball and picked it up. \"Can I play with you?\" "
    "asked a little boy named Tom. Lily smiled and said, \"Yes, let's play "
    "together!\" They threw the ball high in the sky and laughed. When the "
    "sun went down, Lily and Tom went home. They were very happy and tired.";

class Stories260K : public ::testing::Test {
protected:
  void SetUp() override {
    std::string dir = sharedModels();
    if (dir.empty())
      GTEST_SKIP() << "../shared/models not found (set ITQ3_SHARED_DIR): "
                      "skipping the stories260K checks";
    Status s = loadLlama2c(dir + "/stories260K.bin", model);
    ASSERT_TRUE(s) << s.message();
    s = loadLlama2cTokenizer(dir + "/tok512.bin", model.config.vocabSize, tok);
    ASSERT_TRUE(s) << s.message();
  }
  Model model;
  Tokenizer tok;
};

/// llama2.c's encoder transcribed directly: rescan all pairs after every
/// merge and take the best score (the first on ties). Quadratic, and
/// independent of the heap-based encoder under test. Returns {} when a
/// character has no piece (byte fallback is not transcribed).
std::vector<int32_t> quadraticEncode(const Tokenizer &t, const std::string &text) {
  std::map<std::string, int32_t> ids;
  for (int32_t i = int32_t(t.size()) - 1; i >= 0; --i)
    ids[t.piece(i)] = i; // the lowest id wins for duplicates
  std::vector<std::string> sym;
  std::string s = " " + text; // the dummy prefix
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    while (i + n < s.size() && (uint8_t(s[i + n]) & 0xC0) == 0x80)
      ++n;
    sym.push_back(s.substr(i, n));
    i += n;
  }
  for (;;) {
    float best = -1e30f;
    int at = -1;
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      auto it = ids.find(sym[i] + sym[i + 1]);
      if (it != ids.end() && t.score(it->second) > best) {
        best = t.score(it->second);
        at = int(i);
      }
    }
    if (at < 0)
      break;
    sym[size_t(at)] += sym[size_t(at) + 1];
    sym.erase(sym.begin() + at + 1);
  }
  std::vector<int32_t> out;
  for (const std::string &p : sym) {
    auto it = ids.find(p);
    if (it == ids.end())
      return {};
    out.push_back(it->second);
  }
  return out;
}

} // namespace

TEST_F(Stories260K, ConfigMatchesTheModelCard) {
  const ModelConfig &c = model.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hiddenDim, 172);
  EXPECT_EQ(c.nLayers, 5);
  EXPECT_EQ(c.nHeads, 8);
  EXPECT_EQ(c.nKvHeads, 4);
  EXPECT_EQ(c.vocabSize, 512);
  EXPECT_EQ(c.seqLen, 512);
  EXPECT_TRUE(c.tiedOutput);
  // 264,128 parameters on the card include the 4,096 stored RoPE values.
  EXPECT_EQ(model.parameterCount() + 512 * 8, 264128);
}

TEST_F(Stories260K, EncoderMatchesTheQuadraticReference) {
  std::vector<int32_t> want = quadraticEncode(tok, kStory);
  ASSERT_FALSE(want.empty());
  std::vector<int32_t> got = tok.encode(kStory, false);
  EXPECT_EQ(got, want);
  std::vector<int32_t> withBos = tok.encode(kStory, true);
  EXPECT_EQ(withBos.front(), 1);
  EXPECT_EQ(tok.decode(withBos), kStory);
}

TEST_F(Stories260K, InDomainPerplexityIsNearTwo) {
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(model, 128, 2, fwd));
  std::vector<int32_t> ids = tok.encode(kStory, false);
  ASSERT_GE(ids.size(), 127u);
  PerplexityResult r;
  ASSERT_TRUE(perplexity(languageModel(*fwd), ids, 128, tok.bos(), r));
  EXPECT_LT(r.perplexity(), 3.0);
  EXPECT_GT(r.perplexity(), 1.2);
  // The same tokens shuffled are close to unpredictable.
  std::vector<int32_t> shuffled = ids;
  std::mt19937_64 rng(5);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  PerplexityResult bad;
  ASSERT_TRUE(perplexity(languageModel(*fwd), shuffled, 128, tok.bos(), bad));
  EXPECT_GT(bad.perplexity(), 20 * r.perplexity());
}

TEST_F(Stories260K, GreedyContinuationIsASentence) {
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(model, 0, 2, fwd));
  std::vector<int32_t> ids = tok.encode("Once upon a time", true);
  std::vector<float> logits;
  ASSERT_TRUE(fwd->run(ids.data(), int64_t(ids.size()), 0, logits, false));
  for (int i = 0; i < 12; ++i) {
    int32_t next = int32_t(
        std::max_element(logits.begin(), logits.end()) - logits.begin());
    ids.push_back(next);
    ASSERT_TRUE(fwd->run(&next, 1, int64_t(ids.size()) - 1, logits, false));
  }
  // Recorded from this implementation; it is also the opening of most of
  // the model's training stories.
  EXPECT_EQ(tok.decode(ids).rfind("Once upon a time, there was a little", 0), 0u)
      << tok.decode(ids);
}
