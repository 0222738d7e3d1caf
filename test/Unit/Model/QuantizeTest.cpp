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
  // K = 64 and 96: no 256-blocks, but q8's 32-blocks fit.
  Model m = tinyModel(64, 96, 1, 2, 1, 10);
  QuantReport r;
  ASSERT_TRUE(quantizeModel(m, FormatKind::ITQ3S, {}, 1, r));
  EXPECT_EQ(r.fallbacks().size(), 7u);
  for (const TensorReport &t : r.linears) {
    EXPECT_EQ(t.format, "q8") << t.name;
    EXPECT_DOUBLE_EQ(t.bits, 8.5 * double(t.weights)) << t.name;
  }
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
