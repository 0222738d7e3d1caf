//===- CalibrationTest.cpp - Statistics collection, file and calibrated quantization -===//

#include "TestUtil.h"
#include "itq3/Format/Calibrated.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Distribution.h"
#include "itq3/Model/Eval.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/Quantize.h"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;
using itq3::format::FormatKind;

namespace {

std::vector<char> readAll(const std::string &path) {
  std::ifstream is(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(is), {});
}

void writeAll(const std::string &path, const std::vector<char> &bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

} // namespace

TEST(Calibration, InputNames) {
  EXPECT_EQ(calibrationInput("blk.3.attn_k.weight"), "blk.3.attn_in");
  EXPECT_EQ(calibrationInput("blk.12.attn_output.weight"), "blk.12.attn_output_in");
  EXPECT_EQ(calibrationInput("blk.0.ffn_up.weight"), "blk.0.ffn_in");
  EXPECT_EQ(calibrationInput("blk.0.ffn_down.weight"), "blk.0.ffn_down_in");
  EXPECT_EQ(calibrationInput("token_embd.weight"), "");
  EXPECT_EQ(calibrationInput("blk.0.attn_norm.weight"), "");
}

TEST(Calibration, SecondMomentsMatchADirectComputation) {
  // Layer-by-layer collection against the whole-model forward pass run
  // window by window, with the inputs summed in double.
  Model m = tinyModel(32, 48, 2, 4, 2, 16);
  const int64_t ctx = 12;
  const int32_t bos = 1;
  std::vector<int32_t> tokens = someTokens(40, 16); // 3 windows of 11 + BOS
  Removed file{tempPath("direct.cal")};
  CalibrationSummary sum;
  ASSERT_TRUE(collectCalibration(m, tokens, ctx, bos, 2, file.path, sum));
  EXPECT_EQ(sum.tokens, 3 * ctx);
  EXPECT_EQ(sum.windows, 3);

  std::map<std::string, std::vector<double>> direct;
  std::unique_ptr<Forward> fwd;
  ASSERT_TRUE(Forward::create(m, ctx, 1, fwd));
  fwd->setInputObserver([&](int64_t l, const char *first, const float *in,
                            int64_t rows, int64_t k) {
    std::string name = calibrationInput(layerTensor(l, first));
    std::vector<double> &h = direct[name];
    h.resize(size_t(k * k), 0.0);
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < k; ++j)
          h[size_t(i * k + j)] += double(in[t * k + i]) * in[t * k + j];
  });
  std::vector<float> logits;
  for (int w = 0; w < 3; ++w) {
    std::vector<int32_t> window = {bos};
    window.insert(window.end(), tokens.begin() + w * 11, tokens.begin() + (w + 1) * 11);
    ASSERT_TRUE(fwd->run(window.data(), 5, 0, logits, false)); // two batches,
    ASSERT_TRUE(fwd->run(window.data() + 5, 7, 5, logits, false)); // as cached
  }
  CalibrationStats stats;
  ASSERT_TRUE(CalibrationStats::open(file.path, m, stats));
  EXPECT_EQ(stats.tokens(), 3 * ctx);
  ASSERT_EQ(direct.size(), 8u);
  for (const auto &[name, want] : direct) {
    std::vector<float> h;
    ASSERT_TRUE(stats.load(name, h)) << name;
    ASSERT_EQ(h.size(), want.size()) << name;
    for (size_t i = 0; i < h.size(); ++i)
      ASSERT_NEAR(h[i], want[i] / double(3 * ctx), 1e-4 * (1 + std::fabs(want[i]) / 36))
          << name << " entry " << i;
  }
}

TEST(Calibration, FileRefusesOtherModelsAndDamage) {
  Model m = tinyModel(32, 48, 2, 4, 2, 16);
  Removed file{tempPath("damage.cal")};
  CalibrationSummary sum;
  ASSERT_TRUE(collectCalibration(m, someTokens(30, 16), 10, -1, 1, file.path, sum));
  CalibrationStats stats;
  auto message = [&](const Model &model, const std::string &path) {
    Status s = CalibrationStats::open(path, model, stats);
    return s ? std::string("ok") : s.message();
  };
  EXPECT_EQ(message(m, file.path), "ok");

  Model otherWeights = m;
  otherWeights.find("blk.1.ffn_up.weight")->data[0] += 0.25f;
  EXPECT_NE(message(otherWeights, file.path).find("fingerprint mismatch"),
            std::string::npos);
  Model otherShape = tinyModel(32, 64, 2, 4, 2, 16);
  EXPECT_NE(message(otherShape, file.path).find("statistics of another model (2 layers, dim 32, hidden 48"),
            std::string::npos);
  EXPECT_NE(message(m, tempPath("missing.cal")).find("cannot open"), std::string::npos);

  std::vector<char> bytes = readAll(file.path);
  Removed bad{tempPath("bad.cal")};
  std::vector<char> b = bytes;
  b[0] = 'X';
  writeAll(bad.path, b);
  EXPECT_NE(message(m, bad.path).find("bad magic"), std::string::npos);
  b = bytes;
  b[8] = 2; // version
  writeAll(bad.path, b);
  EXPECT_NE(message(m, bad.path).find("version 2"), std::string::npos);
  b.assign(bytes.begin(), bytes.end() - 4);
  writeAll(bad.path, b);
  EXPECT_NE(message(m, bad.path).find("past the end of the file"), std::string::npos);
  b.assign(bytes.begin(), bytes.begin() + 30);
  writeAll(bad.path, b);
  EXPECT_NE(message(m, bad.path).find("truncated header"), std::string::npos);
}

TEST(Calibration, CalibratedModelHasLowerOutputErrorThanRoundToNearest) {
  // K = 256 and 512 so that itq3_s takes every linear.
  Model ref = tinyModel(256, 512, 1, 4, 2, 16);
  Removed file{tempPath("quant.cal")};
  CalibrationSummary sum;
  ASSERT_TRUE(collectCalibration(ref, someTokens(200, 16), 32, -1, 2, file.path, sum));
  CalibrationStats stats;
  ASSERT_TRUE(CalibrationStats::open(file.path, ref, stats));
  Model rtn = ref, cal = ref;
  QuantReport rr, rc;
  ASSERT_TRUE(quantizeModel(rtn, FormatKind::ITQ3S, {7}, 2, rr));
  CalibratedQuantization how;
  how.stats = &stats;
  ASSERT_TRUE(quantizeModel(cal, FormatKind::ITQ3S, {7}, 2, rc, {}, &how));
  EXPECT_TRUE(rc.fallbacks().empty());
  EXPECT_DOUBLE_EQ(rc.linearBitsPerWeight(), 3.4375);
  for (const char *what : linearNames()) {
    std::string name = layerTensor(0, what);
    std::vector<float> h;
    ASSERT_TRUE(stats.load(calibrationInput(name), h));
    const Tensor &w = *ref.find(name);
    double eRtn = itq3::format::outputError(w.data.data(), rtn.find(name)->data.data(),
                                            w.rows(), w.cols(), h.data());
    double eCal = itq3::format::outputError(w.data.data(), cal.find(name)->data.data(),
                                            w.rows(), w.cols(), h.data());
    EXPECT_LT(eCal, 0.9 * eRtn) << name << ": " << eCal << " vs " << eRtn;
  }
}

TEST(Distribution, KlIsZeroForTheSameLogitsAndGrowsWithChange) {
  const int64_t vocab = 300;
  std::vector<float> a(vocab), b(vocab);
  for (int64_t i = 0; i < vocab; ++i) {
    a[size_t(i)] = float(std::sin(0.37 * double(i)) * 4);
    b[size_t(i)] = a[size_t(i)] + float(std::cos(1.3 * double(i)));
  }
  TopDistribution d = coarsen(a.data(), vocab);
  EXPECT_EQ(d.ids[0], argmax(a.data(), vocab));
  EXPECT_NEAR(coarseKl(d, a.data(), vocab), 0.0, 1e-7); // float log-probabilities
  // The coarse KL is at most the full one (data processing) and positive.
  auto logSoftmax = [&](const std::vector<float> &x) {
    double mx = *std::max_element(x.begin(), x.end()), s = 0;
    for (float v : x) s += std::exp(v - mx);
    std::vector<double> out;
    for (float v : x) out.push_back(v - mx - std::log(s));
    return out;
  };
  std::vector<double> la = logSoftmax(a), lb = logSoftmax(b);
  double full = 0;
  for (int64_t i = 0; i < vocab; ++i)
    full += std::exp(la[size_t(i)]) * (la[size_t(i)] - lb[size_t(i)]);
  double coarse = coarseKl(d, b.data(), vocab);
  EXPECT_GT(coarse, 0.5 * full);
  EXPECT_LE(coarse, full + 1e-9);
}

TEST(Distribution, CachedReferenceChecksItsTargets) {
  const int64_t vocab = 20;
  std::vector<float> logits(vocab, 0.0f);
  logits[3] = 2;
  ReferenceWriter w;
  w.add(coarsen(logits.data(), vocab), 3);
  w.add(coarsen(logits.data(), vocab), 4);
  Removed file{tempPath("ref.bin")};
  ASSERT_TRUE(w.write(file.path, vocab));
  ReferenceReader r;
  ASSERT_TRUE(ReferenceReader::open(file.path, vocab, r));
  EXPECT_EQ(r.size(), 2);
  EXPECT_TRUE(r.checkTargets({3, 4}));
  Status s = r.checkTargets({3, 5});
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("other scored tokens"), std::string::npos);
  EXPECT_NE(ReferenceReader::open(file.path, vocab + 1, r).message().find("vocabulary"),
            std::string::npos);
  // The targets perplexity() scores.
  EXPECT_EQ(scoredTargets({5, 6, 7, 8, 9}, 3, 1), (std::vector<int32_t>{5, 6, 7, 8}));
  EXPECT_EQ(scoredTargets({5, 6, 7, 8, 9, 10, 11}, 3, -1), (std::vector<int32_t>{6, 7, 9, 10}));
}
