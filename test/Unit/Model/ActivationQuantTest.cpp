//===- ActivationQuantTest.cpp - Int8 activations in the reference forward ===//
//
// The forward pass with an ActivationPlan against the direct transcription
// of the model whose linears quantize their inputs by hand, so a slip in the
// rotation, its inverse or the rounding shows as a mismatch.
//
//===----------------------------------------------------------------------===//

#include "DirectForward.h"
#include "TestUtil.h"
#include "itq3/Format/FWHT.h"
#include "itq3/Model/ActivationPlan.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/Quantize.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;
using itq3::format::FormatKind;

namespace {

constexpr uint64_t kSeed = 7;

/// Dims that are multiples of 256, so every linear keeps a rotated format.
Model quantizedModel(FormatKind kind, QuantReport &report) {
  Model m = tinyModel(256, 512, 1, 2, 1, 16);
  itq3::format::CodecOptions options;
  options.signSeed = kSeed;
  EXPECT_TRUE(quantizeModel(m, kind, options, 2, report));
  return m;
}

ActivationPlan planFor(const QuantReport &report) {
  itq3::format::CodecOptions options;
  options.signSeed = kSeed;
  ActivationPlan plan;
  Status s = activationPlanFor(report, options, plan);
  EXPECT_TRUE(s) << s.message();
  return plan;
}

/// How the test itself quantizes a linear's input; the flags are mutations
/// the check must catch.
struct HandQuantizer {
  const ActivationPlan &plan;
  bool rotate = true;       // rotate where the plan says so
  bool unrotate = true;     // and undo it afterwards

  Direct::Vec operator()(const std::string &name, const Direct::Vec &in) const {
    auto it = plan.find(name);
    if (it == plan.end())
      return in;
    std::vector<float> v(in.begin(), in.end());
    int64_t k = int64_t(v.size());
    int64_t block = it->second.rotationBlock;
    bool rotated = block && rotate;
    if (rotated)
      itq3::format::rotateRow(v.data(), k, it->second.seed, block);
    for (size_t g = 0; g < v.size() / 32; ++g) {
      float max = 0;
      for (size_t e = 0; e < 32; ++e)
        max = std::max(max, std::fabs(v[g * 32 + e]));
      float scale = max / 127.0f;
      for (size_t e = 0; e < 32; ++e)
        v[g * 32 + e] = max > 0 ? std::round(v[g * 32 + e] / scale) * scale : 0;
    }
    if (rotated && unrotate)
      itq3::format::unrotateRow(v.data(), k, it->second.seed, block);
    return Direct::Vec(v.begin(), v.end());
  }
};

const std::vector<int32_t> kTokens = {1, 4, 4, 7, 2, 9, 0, 3, 15, 11};

/// Logits after the last token, the whole sequence run as one batch.
std::vector<float> lastLogits(const Model &m, const ActivationPlan &plan) {
  std::unique_ptr<Forward> fwd;
  EXPECT_TRUE(Forward::create(m, 0, 2, fwd));
  EXPECT_TRUE(fwd->setActivationQuantization(plan));
  std::vector<float> logits;
  EXPECT_TRUE(fwd->run(kTokens.data(), int64_t(kTokens.size()), 0, logits,
                       false));
  return logits;
}

} // namespace

TEST(ActivationPlan, FollowsEachLinearsFormat) {
  QuantReport r;
  Model m = quantizedModel(FormatKind::ITQ3S, r);
  ActivationPlan plan = planFor(r);
  ASSERT_EQ(plan.size(), 7u);
  for (const auto &[name, how] : plan) {
    EXPECT_EQ(how.rotationBlock, 256) << name;
    EXPECT_EQ(how.seed, kSeed) << name;
  }
  // q4 is not rotated; the seed is then irrelevant and left 0.
  quantizedModel(FormatKind::Q4, r);
  for (const auto &[name, how] : planFor(r))
    EXPECT_EQ(how.rotationBlock, 0) << name;
  // K = 64: itq3_s falls back to itq3_s64, rotated per 64.
  Model small = tinyModel(64, 96, 1, 2, 1, 10);
  ASSERT_TRUE(quantizeModel(small, FormatKind::ITQ3S, {}, 1, r));
  plan = planFor(r);
  EXPECT_EQ(plan.size(), 7u);
  EXPECT_EQ(plan.begin()->second.rotationBlock, 64);
  // K = 32: q8, which still takes int8 activations, unrotated.
  Model narrow = tinyModel(32, 96, 1, 2, 1, 10);
  ASSERT_TRUE(quantizeModel(narrow, FormatKind::ITQ3S, {}, 1, r));
  plan = planFor(r);
  EXPECT_EQ(plan.begin()->second.rotationBlock, 0);
  // K = 8: f16, which takes float activations.
  Model tiny = tinyModel(8, 12, 1, 2, 1, 10);
  ASSERT_TRUE(quantizeModel(tiny, FormatKind::Q4, {}, 1, r));
  EXPECT_TRUE(planFor(r).empty());
  // An unquantized model (f32 linears) has no plan.
  Status s = activationPlanFor(referenceReport(tinyModel()), {}, plan);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("'f32'"), std::string::npos) << s.message();
}

TEST(ActivationPlan, ForwardRefusesAPlanItCannotFollow) {
  Model m = tinyModel(64, 96, 1, 2, 1, 10);
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, 0, 1, fwd));
  Status s = fwd->setActivationQuantization({{"blk.0.attn_norm.weight", {}}});
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("not a linear"), std::string::npos) << s.message();
  // K = 64 takes groups of 32 but not a 256-block rotation.
  ActivationQuant rotated;
  rotated.rotationBlock = 256;
  rotated.seed = 1;
  s = fwd->setActivationQuantization({{"blk.0.attn_q.weight", rotated}});
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("256"), std::string::npos) << s.message();
  EXPECT_TRUE(fwd->activationQuantization().empty());
  EXPECT_TRUE(fwd->setActivationQuantization({{"blk.0.attn_q.weight", {}}}));
}

TEST(ActivationQuantForward, SmallButNonzeroChangeOfTheLogits) {
  for (FormatKind kind : {FormatKind::ITQ3S, FormatKind::Q8}) {
    QuantReport r;
    Model m = quantizedModel(kind, r);
    std::vector<float> plain = lastLogits(m, {});
    std::vector<float> quantized = lastLogits(m, planFor(r));
    double d = relDiff(quantized, Direct::Vec(plain.begin(), plain.end()));
    EXPECT_GT(d, 1e-5) << formatName(kind);
    EXPECT_LT(d, 5e-2) << formatName(kind);
  }
}

TEST(ActivationQuantForward, MatchesHandQuantizedDirectComputation) {
  QuantReport r;
  Model m = quantizedModel(FormatKind::ITQ3S, r);
  ActivationPlan plan = planFor(r);
  std::vector<float> batch = lastLogits(m, plan);
  Direct direct{m};
  direct.linearInput = HandQuantizer{plan};
  Direct::Vec want = direct.logits(kTokens);
  Direct::Vec plainWant = Direct{m}.logits(kTokens);
  // float against double differs by ~3e-7; the effect being checked is
  // ~1e-2, so the tolerance sits far from both.
  const double tolerance = 1e-5;
  EXPECT_GT(relDiff(batch, plainWant), 100 * tolerance);
  EXPECT_LT(relDiff(batch, want), tolerance);

  // Token by token through the KV cache: the same logits.
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, 0, 1, fwd));
  ASSERT_TRUE(fwd->setActivationQuantization(plan));
  std::vector<float> step;
  for (size_t t = 0; t < kTokens.size(); ++t)
    ASSERT_TRUE(fwd->run(&kTokens[t], 1, int64_t(t), step, false));
  EXPECT_LT(relDiff(step, want), tolerance);

  // The check catches a reference (or an implementation) that forgets the
  // inverse rotation or the rotation itself.
  HandQuantizer noInverse{plan};
  noInverse.unrotate = false;
  direct.linearInput = noInverse;
  EXPECT_GT(relDiff(batch, direct.logits(kTokens)), tolerance);
  HandQuantizer noRotation{plan};
  noRotation.rotate = false;
  direct.linearInput = noRotation;
  EXPECT_GT(relDiff(batch, direct.logits(kTokens)), tolerance);
}
