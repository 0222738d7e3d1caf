//===- ForwardTest.cpp - The reference forward pass against direct math ---===//

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

/// A direct transcription of the model equations in double precision, with
/// no KV cache: every position recomputes attention over the whole prefix.
struct Direct {
  const Model &m;
  const ModelConfig &c = m.config;
  using Vec = std::vector<double>;

  const std::vector<float> &w(const std::string &n) const {
    return m.find(n)->data;
  }
  Vec matvec(const std::string &name, const Vec &x) const {
    const Tensor &t = *m.find(name);
    Vec y(size_t(t.rows()), 0.0);
    for (int64_t r = 0; r < t.rows(); ++r)
      for (int64_t k = 0; k < t.cols(); ++k)
        y[size_t(r)] += double(t.data[size_t(r * t.cols() + k)]) * x[size_t(k)];
    return y;
  }
  Vec norm(const Vec &x, const std::string &name) const {
    double ss = 0;
    for (double v : x)
      ss += v * v;
    double s = 1 / std::sqrt(ss / double(x.size()) + c.normEps);
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      y[i] = x[i] * s * w(name)[i];
    return y;
  }
  void rope(Vec &v, size_t off, int64_t pos) const {
    for (int64_t i = 0; i < c.headDim / 2; ++i) {
      double a = double(pos) * std::pow(double(c.ropeBase),
                                        -2.0 * double(i) / double(c.headDim));
      size_t p = off + size_t(c.ropeHalves ? i : 2 * i);
      size_t q = off + size_t(c.ropeHalves ? i + c.headDim / 2 : 2 * i + 1);
      double x0 = v[p], x1 = v[q];
      v[p] = x0 * std::cos(a) - x1 * std::sin(a);
      v[q] = x0 * std::sin(a) + x1 * std::cos(a);
    }
  }
  /// Logits after the last of `tokens`.
  Vec logits(const std::vector<int32_t> &tokens) const {
    int64_t T = int64_t(tokens.size()), hd = c.headDim;
    const size_t n = size_t(T);
    std::vector<Vec> x(n);
    for (int64_t t = 0; t < T; ++t)
      x[size_t(t)] = Vec(w("token_embd.weight").begin() + tokens[size_t(t)] * c.dim,
                         w("token_embd.weight").begin() + (tokens[size_t(t)] + 1) * c.dim);
    for (int64_t l = 0; l < c.nLayers; ++l) {
      std::vector<Vec> q(n), k(n), v(n);
      for (int64_t t = 0; t < T; ++t) {
        Vec h = norm(x[size_t(t)], layerTensor(l, "attn_norm"));
        q[size_t(t)] = matvec(layerTensor(l, "attn_q"), h);
        k[size_t(t)] = matvec(layerTensor(l, "attn_k"), h);
        v[size_t(t)] = matvec(layerTensor(l, "attn_v"), h);
        if (c.qkvBias)
          for (auto [vec, n] : {std::pair{&q[size_t(t)], "attn_q"},
                                {&k[size_t(t)], "attn_k"},
                                {&v[size_t(t)], "attn_v"}})
            for (size_t i = 0; i < vec->size(); ++i)
              (*vec)[i] += w(layerTensor(l, n, "bias"))[i];
        for (int64_t h2 = 0; h2 < c.nHeads; ++h2)
          rope(q[size_t(t)], size_t(h2 * hd), t);
        for (int64_t h2 = 0; h2 < c.nKvHeads; ++h2)
          rope(k[size_t(t)], size_t(h2 * hd), t);
      }
      for (int64_t t = 0; t < T; ++t) {
        Vec att(size_t(c.nHeads * hd), 0.0);
        for (int64_t h2 = 0; h2 < c.nHeads; ++h2) {
          size_t kvOff = size_t(h2 / (c.nHeads / c.nKvHeads) * hd);
          Vec p(size_t(t + 1));
          double mx = -1e300, total = 0;
          for (int64_t s = 0; s <= t; ++s) {
            double d = 0;
            for (int64_t i = 0; i < hd; ++i)
              d += q[size_t(t)][size_t(h2 * hd + i)] * k[size_t(s)][kvOff + size_t(i)];
            p[size_t(s)] = d / std::sqrt(double(hd));
            mx = std::max(mx, p[size_t(s)]);
          }
          for (double &e : p)
            total += (e = std::exp(e - mx));
          for (int64_t s = 0; s <= t; ++s)
            for (int64_t i = 0; i < hd; ++i)
              att[size_t(h2 * hd + i)] +=
                  p[size_t(s)] / total * v[size_t(s)][kvOff + size_t(i)];
        }
        Vec o = matvec(layerTensor(l, "attn_output"), att);
        for (size_t i = 0; i < o.size(); ++i)
          x[size_t(t)][i] += o[i];
      }
      for (int64_t t = 0; t < T; ++t) {
        Vec h = norm(x[size_t(t)], layerTensor(l, "ffn_norm"));
        Vec g = matvec(layerTensor(l, "ffn_gate"), h);
        Vec u = matvec(layerTensor(l, "ffn_up"), h);
        for (size_t i = 0; i < g.size(); ++i)
          g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
        Vec d = matvec(layerTensor(l, "ffn_down"), g);
        for (size_t i = 0; i < d.size(); ++i)
          x[size_t(t)][i] += d[i];
      }
    }
    Vec h = norm(x.back(), "output_norm.weight");
    return matvec(c.tiedOutput ? "token_embd.weight" : "output.weight", h);
  }
};

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
