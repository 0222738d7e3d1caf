//===- TwlaModelTest.cpp - twla on a whole (tiny) model -------------------===//
//
// The spec, the bit accounting, the A16 identity W^ x = W'^ (R x) and the
// forward pass with the A4 plan against a direct transcription whose linears
// quantize their inputs by hand (R^T deq(Q(R x))).
//
//===----------------------------------------------------------------------===//

#include "DirectForward.h"
#include "TestUtil.h"
#include "itq3/Format/LowBitActivations.h"
#include "itq3/Format/Twla.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/TwlaQuantize.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

const std::vector<int32_t> kTokens = {1, 4, 4, 7, 2, 9, 0, 3, 15, 11};

/// A model of widths 128 / 192 (groups of 64 divide both), quantized with
/// twla after collecting its statistics.
struct Quantized {
  Model original, model;
  QuantReport report;
  TwlaInputs inputs;
};

void quantize(const std::string &spec, Quantized &q) {
  q.original = tinyModel(128, 192, 2, 4, 2, 16);
  q.model = q.original;
  Removed file{tempPath("twla.cal")};
  CalibrationSummary sum;
  std::vector<int32_t> tokens = someTokens(64, 16);
  ASSERT_TRUE(collectCalibration(q.model, tokens, 32, 1, 2, file.path, sum));
  CalibrationStats stats;
  ASSERT_TRUE(CalibrationStats::open(file.path, q.model, stats));
  TwlaQuantization twla;
  ASSERT_TRUE(parseTwlaQuantization(spec, twla));
  twla.kotms.steps = 4; // a tiny model: a few steps show the path works
  Status s = quantizeModelTwla(q.model, twla, stats, 2, q.report, q.inputs);
  ASSERT_TRUE(s) << s.message();
}

std::vector<float> lastLogits(const Model &m, const ActivationPlan &plan) {
  std::unique_ptr<Forward> fwd;
  EXPECT_TRUE(Forward::create(m, 0, 2, fwd));
  EXPECT_TRUE(fwd->setActivationQuantization(plan));
  std::vector<float> logits;
  EXPECT_TRUE(fwd->run(kTokens.data(), int64_t(kTokens.size()), 0, logits, false));
  return logits;
}

} // namespace

TEST(TwlaSpec, ParsesKeysAndRefusesNonsense) {
  TwlaQuantization t;
  ASSERT_TRUE(parseTwlaQuantization("twla", t));
  EXPECT_EQ(t.activationBits, 16);
  ASSERT_TRUE(parseTwlaQuantization(
      "twla:rotation=learned,act=4,budget=5,group=128,coupling=block,steps=3", t));
  EXPECT_EQ(t.rotation, TwlaRotation::Learned);
  EXPECT_EQ(t.activationBits, 4);
  EXPECT_EQ(t.budget, 5.0);
  EXPECT_EQ(t.params.group, 128);
  EXPECT_EQ(t.params.coupling, itq3::format::TwlaCoupling::Block);
  EXPECT_EQ(t.kotms.steps, 3);
  EXPECT_FALSE(parseTwlaQuantization("twla:act=2", t));
  EXPECT_FALSE(parseTwlaQuantization("twla:rotation=random", t));
  EXPECT_FALSE(parseTwlaQuantization("twla:budget=3", t));
  EXPECT_FALSE(parseTwlaQuantization("twla:size=4", t));
  EXPECT_FALSE(isTwlaSpec("twlax"));
}

TEST(TwlaModel, CountsStoredBitsAndKeepsTheRotatedProduct) {
  Quantized q;
  quantize("twla:rotation=fixed", q);
  ASSERT_EQ(q.report.linears.size(), 14u);
  EXPECT_TRUE(q.report.fallbacks().empty());
  EXPECT_DOUBLE_EQ(q.report.linearBitsPerWeight(), 2.125); // 17 bytes per 64
  ASSERT_EQ(q.inputs.size(), 8u);
  for (const TwlaInput &in : q.inputs) {
    ASSERT_TRUE(in.rotation) << in.name;
    EXPECT_EQ(in.rotationKind, "fixed");
  }
  // Every decoded weight, rotated, is mu + alpha t per group of 64: at most
  // three distinct values per group (the model holds W'^ R).
  const TwlaInput &in = q.inputs.front(); // blk.0.attn_in
  const Tensor &wq = *q.model.find(in.linears.front());
  std::vector<float> rotated(wq.data.size());
  itq3::format::kronRotateRows(*in.rotation, wq.data.data(), wq.rows(),
                               rotated.data(), false, 1);
  for (int64_t g = 0; g < int64_t(rotated.size()) / 64; ++g) {
    std::vector<float> v(rotated.begin() + g * 64, rotated.begin() + (g + 1) * 64);
    std::sort(v.begin(), v.end());
    int distinct = 1;
    for (size_t i = 1; i < v.size(); ++i)
      distinct += v[i] - v[i - 1] > 1e-5f * (std::fabs(v.back()) + std::fabs(v.front()));
    EXPECT_LE(distinct, 3) << g;
  }
}

TEST(TwlaModel, LearnedRotationCountsItsFactors) {
  Quantized q;
  quantize("twla:rotation=learned", q);
  double factorBits = 0;
  for (const TwlaInput &in : q.inputs) {
    EXPECT_EQ(in.rotationKind, "learned");
    factorBits += 32.0 * double(in.rotation->l * in.rotation->l +
                                in.rotation->r * in.rotation->r);
  }
  EXPECT_NEAR(q.report.linearBits,
              2.125 * double(q.report.linearWeights) + factorBits, 1e-6);
}

TEST(TwlaModel, ActivationPlanMatchesHandQuantizedDirectComputation) {
  Quantized q;
  quantize("twla:rotation=fixed,act=4,budget=6", q);
  TwlaQuantization twla;
  ASSERT_TRUE(parseTwlaQuantization("twla:act=4,budget=6,samples=16", twla));
  ActivationPlan plan;
  Status s = planTwlaActivations(q.model, twla, someTokens(40, 16), 20, 1, 2,
                                 q.inputs, plan);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(plan.size(), 14u);
  double bitsK = 0, k = 0;
  for (const TwlaInput &in : q.inputs) {
    EXPECT_TRUE(in.bits == 4 || in.bits == 8);
    EXPECT_GT(in.err4, in.err8);
    bitsK += in.bits * double(in.rotation->size());
    k += double(in.rotation->size());
  }
  EXPECT_LE(bitsK / k, 6.0);
  EXPECT_GT(bitsK / k, 4.0); // the budget buys some 8-bit quantizers

  std::vector<float> batch = lastLogits(q.model, plan);
  Direct direct{q.model};
  bool rotate = true;
  direct.linearInput = [&](const std::string &name, const Direct::Vec &in) {
    const ActivationQuant &how = plan.at(name);
    std::vector<float> x(in.begin(), in.end()), v(x.size()), out(x.size());
    if (rotate)
      itq3::format::kronRotate(*how.kron, x.data(), v.data());
    else
      v = x;
    itq3::format::quantizeTokenAsymmetric(v.data(), int64_t(v.size()), how.bits,
                                          how.clip, v.data());
    if (rotate)
      itq3::format::kronUnrotate(*how.kron, v.data(), out.data());
    else
      out = v;
    return Direct::Vec(out.begin(), out.end());
  };
  Direct::Vec want = direct.logits(kTokens);
  Direct::Vec plain = Direct{q.model}.logits(kTokens);
  const double tolerance = 1e-4;
  EXPECT_GT(relDiff(batch, plain), 10 * tolerance);
  EXPECT_LT(relDiff(batch, want), tolerance);
  rotate = false; // quantizing x unrotated is another model
  EXPECT_GT(relDiff(batch, direct.logits(kTokens)), tolerance);
}
