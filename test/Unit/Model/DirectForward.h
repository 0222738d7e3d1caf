//===- DirectForward.h - The model equations, transcribed directly -------===//
//
// The forward pass written as plainly as possible, in double precision and
// without a KV cache, for tests to check the real one against.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TEST_UNIT_MODEL_DIRECTFORWARD_H
#define ITQ3_TEST_UNIT_MODEL_DIRECTFORWARD_H

#include "itq3/Model/Model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace itq3::model::test {

/// A direct transcription of the model equations in double precision, with
/// no KV cache: every position recomputes attention over the whole prefix.
struct Direct {
  const Model &m;
  const ModelConfig &c = m.config;
  using Vec = std::vector<double>;

  /// Optional: what each linear (by tensor name) sees of its input.
  std::function<Vec(const std::string &, const Vec &)> linearInput = {};

  const std::vector<float> &w(const std::string &n) const {
    return m.find(n)->data;
  }
  Vec matvec(const std::string &name, const Vec &in) const {
    const Tensor &t = *m.find(name);
    bool linear = name.rfind("blk.", 0) == 0; // not the output head
    const Vec x = linear && linearInput ? linearInput(name, in) : in;
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

/// ||a - b|| / ||b||: compiled or batched logits against Direct's.
inline double relDiff(const std::vector<float> &a, const Direct::Vec &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

} // namespace itq3::model::test

#endif // ITQ3_TEST_UNIT_MODEL_DIRECTFORWARD_H
