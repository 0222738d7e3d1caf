//===- TwinTransform.cpp - The learned rotation of twinquant's factors ----===//

#include "TwinTransform.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/KronRotation.h"
#include "itq3/Format/Random.h"

#include <cmath>

namespace itq3::format::detail {

namespace {

constexpr int64_t kBlock = 32;

/// Seeded whole blocks of 32 of [0, n): their indices, in order.
std::vector<int64_t> sampledBlocks(int64_t n, int64_t sample, uint64_t seed) {
  std::vector<int64_t> out;
  int64_t want = (sample + kBlock - 1) / kBlock;
  for (int64_t block : sampleIndices(n / kBlock, want, seed))
    for (int64_t i = 0; i < kBlock; ++i)
      out.push_back(block * kBlock + i);
  return out;
}

double squaredNorm(const std::vector<float> &x) {
  double s = 0;
  for (float v : x)
    s += double(v) * v;
  return s;
}

/// The loss of learnFactorRotation on the sampled factors and its gradient.
class SampledLoss {
public:
  SampledLoss(const std::vector<float> &u, const std::vector<float> &v,
              int64_t rows, int64_t cols, int64_t r, const Codec &codec,
              const FactorRotationOptions &o)
      : r(r), codec(codec) {
    std::vector<int64_t> ri = sampledBlocks(rows, o.sample, o.seed);
    std::vector<int64_t> ci = sampledBlocks(cols, o.sample, o.seed + 1);
    nu = int64_t(ri.size());
    kv = int64_t(ci.size());
    us.resize(size_t(nu * r));
    for (int64_t i = 0; i < nu; ++i)
      for (int64_t j = 0; j < r; ++j)
        us[size_t(i * r + j)] = u[size_t(ri[size_t(i)] * r + j)];
    vs.resize(size_t(r * kv));
    for (int64_t j = 0; j < r; ++j)
      for (int64_t c = 0; c < kv; ++c)
        vs[size_t(j * kv + c)] = v[size_t(j * cols + ci[size_t(c)])];
    // Both norms are those of the rotated factors too (Q is orthogonal).
    uNorm = std::max(squaredNorm(us), 1e-30);
    vNorm = std::max(squaredNorm(vs), 1e-30);
  }

  /// L(q), and in grad G (r x r) with the codes held fixed.
  double operator()(const std::vector<double> &q, std::vector<double> &grad) {
    std::vector<float> qf(q.begin(), q.end()), qt(size_t(r * r));
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < r; ++j)
        qt[size_t(j * r + i)] = qf[size_t(i * r + j)];
    // U Q [nu x r], coded by columns: as rows of its transpose.
    std::vector<float> uq(size_t(nu * r), 0.0f);
    gemmAccumulate(nu, r, r, 1.0f, us.data(), r, qf.data(), r, uq.data(), r);
    std::vector<float> eu = codingError(transposed(uq.data(), nu, r), r, nu); // r x nu
    // Q^T V [r x kv], coded by rows.
    std::vector<float> vq(size_t(r * kv), 0.0f);
    gemmAccumulate(r, kv, r, 1.0f, qt.data(), r, vs.data(), kv, vq.data(), kv);
    std::vector<float> ev = codingError(vq, r, kv); // r x kv
    // G = 2 U^T E_U / |U|^2 + 2 V E_V^T / |V|^2, E_U = eu^T.
    std::vector<float> gu(size_t(r * r), 0.0f), gv(size_t(r * r), 0.0f);
    gemmAccumulate(r, r, nu, 1.0f, eu.data(), nu, us.data(), r, gu.data(), r);
    std::vector<float> evt = transposed(ev.data(), r, kv); // kv x r
    gemmAccumulate(r, r, kv, 1.0f, vs.data(), kv, evt.data(), r, gv.data(), r);
    grad.assign(size_t(r * r), 0.0);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < r; ++j) // gu holds (U^T E_U)^T
        grad[size_t(i * r + j)] = 2.0 * gu[size_t(j * r + i)] / uNorm +
                                  2.0 * gv[size_t(i * r + j)] / vNorm;
    return squaredNorm(eu) / uNorm + squaredNorm(ev) / vNorm;
  }

private:
  /// x - decode(encode(x)) of `rows` rows of `cols` with the factor codec;
  /// a row the codec refuses counts as lost entirely.
  std::vector<float> codingError(const std::vector<float> &x, int64_t rows,
                                 int64_t cols) const {
    std::vector<uint8_t> packed(size_t(codec.matrixBytes(rows, cols)));
    std::vector<float> back(x.size(), 0.0f);
    EncodeOptions eo;
    eo.threads = 1;
    if (codec.encodeRows(x.data(), rows, cols, packed.data(), eo).ok())
      (void)codec.decodeRows(packed.data(), rows, cols, back.data(), 1);
    for (size_t i = 0; i < back.size(); ++i)
      back[i] = x[i] - back[i];
    return back;
  }

  int64_t r, nu = 0, kv = 0;
  const Codec &codec;
  std::vector<float> us, vs;
  double uNorm = 1, vNorm = 1;
};

} // namespace

FactorRotation learnFactorRotation(const std::vector<float> &u,
                                   const std::vector<float> &v, int64_t rows,
                                   int64_t cols, int64_t r, const Codec &codec,
                                   const FactorRotationOptions &o) {
  SampledLoss lossOf(u, v, rows, cols, r, codec, o);
  OrthogonalSet qs(1, std::vector<double>(size_t(r * r), 0.0));
  for (int64_t i = 0; i < r; ++i)
    qs[0][size_t(i * r + i)] = 1.0;
  CayleyResult search = cayleyDescent(
      qs, {r},
      [&](const OrthogonalSet &q, OrthogonalSet &grads) {
        grads.assign(1, {});
        return lossOf(q[0], grads[0]);
      },
      o.search);
  FactorRotation out;
  out.q = std::move(qs[0]);
  out.startLoss = search.startLoss;
  out.learnedLoss = search.loss;
  out.accepted = search.accepted;
  out.evaluations = search.evaluations;
  return out;
}

void rotateFactors(std::vector<float> &u, std::vector<float> &v, int64_t rows,
                   int64_t cols, int64_t r, const std::vector<double> &q) {
  std::vector<double> tmp(static_cast<size_t>(r));
  for (int64_t i = 0; i < rows; ++i) {
    float *row = u.data() + i * r;
    for (int64_t j = 0; j < r; ++j) {
      double s = 0;
      for (int64_t k = 0; k < r; ++k)
        s += double(row[k]) * q[size_t(k * r + j)];
      tmp[size_t(j)] = s;
    }
    for (int64_t j = 0; j < r; ++j)
      row[j] = float(tmp[size_t(j)]);
  }
  // v <- q^T v: row j of the result is sum_k q[k][j] v[k].
  std::vector<float> out(v.size(), 0.0f);
  for (int64_t k = 0; k < r; ++k)
    for (int64_t j = 0; j < r; ++j) {
      float qkj = float(q[size_t(k * r + j)]);
      for (int64_t c = 0; c < cols; ++c)
        out[size_t(j * cols + c)] += qkj * v[size_t(k * cols + c)];
    }
  v = std::move(out);
}

} // namespace itq3::format::detail
