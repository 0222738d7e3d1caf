//===- QuantizeTest.cpp - Simulated quantization and its bit accounting ---===//

#include "TestUtil.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/Quantize.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;
using itq3::format::FormatKind;

TEST(Quantize, ReferenceCountsSourceBits) {
  Model m = tinyModel(8, 12, 2, 2, 1, 10);
  QuantReport r = referenceReport(m);
  EXPECT_EQ(r.linears.size(), 14u);
  EXPECT_DOUBLE_EQ(r.linearBitsPerWeight(), 32.0);
  // Embedding and norms: fp32 sources ship as f16.
  EXPECT_DOUBLE_EQ(r.otherBits, 16.0 * double(r.otherWeights));
  EXPECT_DOUBLE_EQ(storedBitsPerWeight("q4_1"), 5.0);
  EXPECT_DOUBLE_EQ(storedBitsPerWeight("q6_k"), 6.5625);
}

TEST(Quantize, BlocksThatDoNotDivideKFallBackToQ8ThenF16) {
  // K = 64 and 96: no 256-blocks; itq3_s64's 64-blocks fit K = 64 (every
  // linear but ffn_down), q8's 32-blocks fit 96.
  Model m = tinyModel(64, 96, 1, 2, 1, 10);
  QuantReport r;
  ASSERT_TRUE(quantizeModel(m, FormatKind::ITQ3S, {}, 1, r));
  EXPECT_EQ(r.fallbacks().size(), 7u);
  for (const TensorReport &t : r.linears) {
    bool down = t.name.find("ffn_down") != std::string::npos;
    EXPECT_EQ(t.format, down ? "q8" : "itq3_s64") << t.name;
    EXPECT_DOUBLE_EQ(t.bits, (down ? 8.5 : 3.625) * double(t.weights)) << t.name;
  }
  // q3r (rotated per 256) has no narrower variant: straight to q8.
  ASSERT_TRUE(quantizeModel(m, FormatKind::Q3R, {}, 1, r));
  EXPECT_EQ(r.fallbacks().size(), 7u);
  for (const TensorReport &t : r.linears)
    EXPECT_EQ(t.format, "q8") << t.name;
  // K = 8: q8 does not fit either, f16 does.
  Model small = tinyModel(8, 12, 1, 2, 1, 10);
  ASSERT_TRUE(quantizeModel(small, FormatKind::Q4, {}, 1, r));
  for (const TensorReport &t : r.linears)
    EXPECT_EQ(t.format, "f16") << t.name;
  EXPECT_DOUBLE_EQ(r.linearBitsPerWeight(), 16.0);
}

TEST(Quantize, FittingShapesUseTheFormatAndStayClose) {
  Model m = tinyModel(256, 512, 1, 4, 2, 16);
  Model ref = m;
  QuantReport r;
  ASSERT_TRUE(quantizeModel(m, FormatKind::ITQ3S, {}, 2, r));
  EXPECT_TRUE(r.fallbacks().empty());
  EXPECT_DOUBLE_EQ(r.linearBitsPerWeight(), 3.4375);
  for (const TensorReport &t : r.linears) {
    EXPECT_GT(t.relError, 0.01) << t.name; // it really was quantized
    EXPECT_LT(t.relError, 0.3) << t.name;
  }
  // Whole-model bits: linears at 3.4375, the rest at 16.
  double want = (3.4375 * double(r.linearWeights) + 16.0 * double(r.otherWeights)) /
                double(r.linearWeights + r.otherWeights);
  EXPECT_NEAR(r.modelBitsPerWeight(), want, 1e-9);
  // Untouched tensors keep their values.
  EXPECT_EQ(m.find("token_embd.weight")->data, ref.find("token_embd.weight")->data);
}

TEST(Quantize, Q8LogitsStayNearTheReference) {
  // Random weights at full scale make a chaotic model in which any change
  // flips attention; scaled down, it behaves like a trained one.
  Model ref = tinyModel(64, 96, 2, 4, 2, 16);
  for (int64_t l = 0; l < 2; ++l)
    for (const char *w : linearNames())
      for (float &x : ref.find(layerTensor(l, w))->data)
        x *= 0.25f;
  Model q = ref;
  QuantReport r;
  ASSERT_TRUE(quantizeModel(q, FormatKind::Q8, {}, 1, r));
  std::unique_ptr<Forward> a, b;
  ASSERT_TRUE(Forward::create(ref, 0, 1, a));
  ASSERT_TRUE(Forward::create(q, 0, 1, b));
  std::vector<int32_t> toks = {3, 1, 4, 1, 5};
  std::vector<float> la, lb;
  ASSERT_TRUE(a->run(toks.data(), 5, 0, la, false));
  ASSERT_TRUE(b->run(toks.data(), 5, 0, lb, false));
  for (size_t i = 0; i < la.size(); ++i)
    EXPECT_NEAR(la[i], lb[i], 0.05 * (1 + std::fabs(la[i])));
}

TEST(QuantizeTwin, SpecsParseWithTheirDefaultsAndRefuseBadOptions) {
  TwinQuantization t;
  ASSERT_TRUE(parseTwinQuantization("twinquant", t));
  EXPECT_EQ(t.params.factorBits, 4);
  EXPECT_EQ(t.rank, 0);
  EXPECT_DOUBLE_EQ(t.budget, 0.5);
  EXPECT_TRUE(t.rotateWhereFits);
  EXPECT_FALSE(t.importance);
  ASSERT_TRUE(parseTwinQuantization(
      "twinquant:rank=24,factor=8,residual=q4r,seed=3,transform=hadamard,"
      "iters=2,balance=off,importance=on", t));
  EXPECT_EQ(t.rank, 24);
  EXPECT_EQ(t.params.factorBits, 8);
  EXPECT_TRUE(t.params.rotateResidual);
  EXPECT_FALSE(t.rotateWhereFits);
  EXPECT_EQ(t.params.signSeed, 3u);
  EXPECT_EQ(t.params.transform, itq3::format::TwinTransform::Hadamard);
  EXPECT_EQ(t.params.powerIterations, 2);
  EXPECT_FALSE(t.params.balance);
  EXPECT_TRUE(t.importance);
  for (const char *bad : {"twinquant:rank=0", "twinquant:factor=3", "twinquant:size=2",
                          "twinquant:budget=-1", "twinquant:residual=q3",
                          "twinquant:balance=yes", "twinquant:rank", "q4"}) {
    Status s = parseTwinQuantization(bad, t);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("twin"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(isTwinQuantSpec("twinquant:rank=4"));
  EXPECT_FALSE(isTwinQuantSpec("twinquantx"));
}

TEST(QuantizeTwin, EveryLinearIsStoredWithinTheBudgetAndCounted) {
  Model m = tinyModel(256, 512, 1, 4, 2, 16);
  Model ref = m;
  TwinQuantization twin;
  QuantReport r;
  ASSERT_TRUE(quantizeModelTwin(m, twin, 2, r));
  EXPECT_TRUE(r.fallbacks().empty());
  double bits = 0;
  for (const TensorReport &t : r.linears) {
    const Tensor &w = *ref.find(t.name);
    itq3::format::TwinQuantParams p = twinParamsFor(twin, w.rows(), w.cols());
    itq3::format::TwinQuantLayout layout;
    ASSERT_TRUE(itq3::format::twinQuantLayout(w.rows(), w.cols(), p, layout));
    EXPECT_TRUE(p.rotateResidual) << t.name; // every K is a multiple of 256
    EXPECT_DOUBLE_EQ(t.bits, 8.0 * double(layout.totalBytes())) << t.name;
    EXPECT_LE(t.bits / double(t.weights), 5.0) << t.name;
    EXPECT_GT(t.relError, 0.01) << t.name;
    EXPECT_LT(t.relError, 0.1) << t.name;
    bits += t.bits;
  }
  EXPECT_DOUBLE_EQ(r.linearBits, bits);
  EXPECT_NE(m.find("blk.0.ffn_down.weight")->data, ref.find("blk.0.ffn_down.weight")->data);
}

TEST(QuantizeTwin, ShapesTheFormatCannotHoldFallBackToQ8) {
  // K = 96 is no multiple of 256: residual=auto keeps q4 there, q4r refuses.
  Model m = tinyModel(64, 96, 1, 2, 1, 10);
  TwinQuantization twin;
  QuantReport r;
  ASSERT_TRUE(quantizeModelTwin(m, twin, 1, r));
  EXPECT_TRUE(r.fallbacks().empty());
  ASSERT_TRUE(parseTwinQuantization("twinquant:residual=q4r", twin));
  m = tinyModel(64, 96, 1, 2, 1, 10);
  ASSERT_TRUE(quantizeModelTwin(m, twin, 1, r));
  EXPECT_EQ(r.fallbacks().size(), 7u);
  for (const TensorReport &t : r.linears)
    EXPECT_DOUBLE_EQ(t.bits, 8.5 * double(t.weights)) << t.name;
}
