//===- EvalTest.cpp - Perplexity and sampling -----------------------------===//

#include "TestUtil.h"
#include "itq3/Model/Eval.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

TEST(Eval, UniformModelHasPerplexityEqualToVocab) {
  // A zero output head gives equal logits, so every token has p = 1/V.
  Model m = tinyModel(8, 12, 1, 2, 1, 10, /*tied=*/false);
  for (float &x : m.find("output.weight")->data)
    x = 0;
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, 0, 2, fwd));
  std::vector<int32_t> text(70);
  for (size_t i = 0; i < text.size(); ++i)
    text[i] = int32_t(i % 10);
  PerplexityResult r;
  ASSERT_TRUE(perplexity(languageModel(*fwd), text, 16, /*bos=*/1, r));
  EXPECT_EQ(r.windows, 4);      // 70 tokens / 15 per window, rest dropped
  EXPECT_EQ(r.scored, 4 * 15);  // BOS + 15 text tokens: all 15 scored
  EXPECT_NEAR(r.perplexity(), 10.0, 1e-4);
  ASSERT_TRUE(perplexity(languageModel(*fwd), text, 16, /*bos=*/-1, r));
  EXPECT_EQ(r.windows, 4);
  EXPECT_EQ(r.scored, 4 * 15);  // no BOS: the first token of each is context
}

TEST(Eval, TooShortTextIsAnError) {
  Model m = tinyModel();
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, 0, 1, fwd));
  PerplexityResult r;
  Status s = perplexity(languageModel(*fwd), {1, 2, 3}, 16, 1, r);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("fewer than one window"), std::string::npos);
}

TEST(Eval, NegLogLikelihood) {
  float logits[3] = {0, std::log(3.0f), 0};
  EXPECT_NEAR(negLogLikelihood(logits, 3, 1), -std::log(0.6), 1e-6);
}
