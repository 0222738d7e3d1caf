//===- ForwardTest.cpp - The reference forward pass against direct math ---===//

#include "DirectForward.h"
#include "TestUtil.h"
#include "itq3/Model/Forward.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

TEST(ForwardBlocks, RmsNormByHand) {
  float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 0.5f}, out[4];
  rmsNorm(x, w, 4, 0.0f, out);
  float rms = std::sqrt(30.0f / 4); // mean of squares 7.5
  EXPECT_NEAR(out[0], 1 / rms, 1e-6);
  EXPECT_NEAR(out[2], 6 / rms, 1e-6);
  EXPECT_NEAR(out[3], 2 / rms, 1e-6);
}

TEST(ForwardBlocks, RopeRotatesPairsByPositionTimesFrequency) {
  // headDim 4: pair 0 turns at base^0 = 1 rad per position, pair 1 at
  // base^(-1/2) = 0.01 rad per position for base 10000.
  float adj[4] = {1, 0, 1, 0};
  applyRope(adj, 4, 2, 10000.0f, /*halves=*/false);
  EXPECT_NEAR(adj[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(adj[1], std::sin(2.0), 1e-6);
  EXPECT_NEAR(adj[2], std::cos(0.02), 1e-6);
  EXPECT_NEAR(adj[3], std::sin(0.02), 1e-6);
  // Halves: pair 0 is (v0, v2), pair 1 is (v1, v3).
  float half[4] = {1, 1, 0, 0};
  applyRope(half, 4, 2, 10000.0f, /*halves=*/true);
  EXPECT_NEAR(half[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(half[2], std::sin(2.0), 1e-6);
  EXPECT_NEAR(half[1], std::cos(0.02), 1e-6);
  EXPECT_NEAR(half[3], std::sin(0.02), 1e-6);
}

TEST(ForwardBlocks, SoftmaxIsStableForLargeLogits) {
  float x[3] = {1000, 1000, 1000 + std::log(2.0f)};
  softmax(x, 3);
  EXPECT_NEAR(x[0], 0.25, 1e-4); // 1000 + log 2 is rounded in float
  EXPECT_NEAR(x[2], 0.5, 1e-4);
}

TEST(Forward, HandComputableOneLayerModel) {
  // dim 4, one layer whose attention and FFN outputs are zero (Wo and
  // Wdown zero), so the residual stream is the embedding and the logits
  // are rmsnorm(e_t) . e_j for the tied embedding.
  Model m = tinyModel(4, 4, 1, 2, 1, 3);
  m.find("token_embd.weight")->data = {1, 2, 3, 4, 0, 1, 0, -1, 2, 0, 0, 0};
  std::fill_n(m.find("output_norm.weight")->data.begin(), 4, 1.0f);
  for (const char *w : {"attn_output", "ffn_down"})
    for (float &x : m.find(layerTensor(0, w))->data)
      x = 0;
  m.config.normEps = 1e-12f;
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, 0, 1, fwd));
  std::vector<float> logits;
  int32_t tok = 0;
  ASSERT_TRUE(fwd->run(&tok, 1, 0, logits, false));
  float rms = std::sqrt(7.5f);
  EXPECT_NEAR(logits[0], 30 / rms, 1e-5); // (1,2,3,4).(1,2,3,4) / rms
  EXPECT_NEAR(logits[1], -2 / rms, 1e-5); // (1,2,3,4).(0,1,0,-1) / rms
  EXPECT_NEAR(logits[2], 2 / rms, 1e-5);  // (1,2,3,4).(2,0,0,0) / rms
}

namespace {

void expectMatchesDirect(Model m, unsigned threads) {
  std::vector<int32_t> tokens = {1, 4, 4, 7, 2, 9, 0, 3};
  std::unique_ptr<Forward> fwd;
  Status s = Forward::create(m, 0, threads, fwd);
  ASSERT_TRUE(s) << s.message();
  // One token at a time through the KV cache ...
  std::vector<float> logits;
  for (size_t t = 0; t < tokens.size(); ++t) {
    ASSERT_TRUE(fwd->run(&tokens[t], 1, int64_t(t), logits, false));
    std::vector<int32_t> prefix(tokens.begin(), tokens.begin() + long(t) + 1);
    std::vector<double> want = Direct{m}.logits(prefix);
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(logits[i], want[i], 1e-4) << "position " << t << " logit " << i;
  }
  // ... and as one batch (prefill) give the same logits at every position.
  std::vector<float> all;
  ASSERT_TRUE(fwd->run(tokens.data(), int64_t(tokens.size()), 0, all, true));
  int64_t V = m.config.vocabSize;
  for (size_t i = 0; i < size_t(V); ++i)
    EXPECT_NEAR(all[size_t(7 * V) + i], logits[i], 1e-5);
}

} // namespace

TEST(Forward, MatchesDirectComputationWithGQA) {
  expectMatchesDirect(tinyModel(8, 12, 2, 4, 2, 10), 1);
}

TEST(Forward, MatchesDirectComputationQwen2StyleThreaded) {
  Model m = tinyModel(16, 20, 2, 2, 1, 10, /*tied=*/false, /*bias=*/true);
  m.config.ropeHalves = true;
  m.config.ropeBase = 1e6f;
  expectMatchesDirect(m, 3);
}

TEST(Forward, RejectsBadPositionsAndTokens) {
  Model m = tinyModel();
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, 4, 1, fwd));
  std::vector<float> logits;
  int32_t tok[5] = {1, 2, 3, 4, 5};
  EXPECT_FALSE(fwd->run(tok, 5, 0, logits, false)); // past the context
  int32_t bad = 10;
  Status s = fwd->run(&bad, 1, 0, logits, false);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("vocabulary"), std::string::npos);
  EXPECT_FALSE(Forward::create(m, 1000, 1, fwd)); // longer than seqLen 32
}
