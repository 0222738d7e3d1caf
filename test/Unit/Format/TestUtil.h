//===- TestUtil.h - Shared helpers of the Format unit tests ---------------===//
#ifndef ITQ3_TEST_UNIT_FORMAT_TESTUTIL_H
#define ITQ3_TEST_UNIT_FORMAT_TESTUTIL_H

#include "itq3/Format/Codec.h"
#include "itq3/Format/DenseMath.h"
#include "itq3/Format/FWHT.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace itq3::format::test {

/// Deterministic N(0, sigma^2) matrix (splitmix64 + Box-Muller).
inline std::vector<float> gaussian(int64_t n, uint64_t seed, float sigma = 0.02f) {
  std::vector<float> v(static_cast<size_t>(n));
  uint64_t state = seed * 1000003ull;
  for (size_t i = 0; i < v.size(); i += 2) {
    double u1 = double((splitmix64(state++) >> 11) + 1) * 0x1p-53;
    double u2 = double(splitmix64(state++) >> 11) * 0x1p-53;
    double r = std::sqrt(-2.0 * std::log(u1));
    v[i] = float(sigma * r * std::cos(6.283185307179586 * u2));
    if (i + 1 < v.size())
      v[i + 1] = float(sigma * r * std::sin(6.283185307179586 * u2));
  }
  return v;
}

inline double relativeError(const std::vector<float> &a, const std::vector<float> &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(a[i]) * a[i];
  }
  return std::sqrt(num / den);
}

struct RoundTrip {
  Status status = Status::success();
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;
};

inline RoundTrip roundTrip(const Codec &codec, const std::vector<float> &w,
                           int64_t rows, int64_t cols, EncodeOptions eo = {}) {
  RoundTrip rt;
  rt.bytes.resize(size_t(codec.matrixBytes(rows, cols)));
  rt.decoded.resize(w.size());
  rt.status = codec.encodeRows(w.data(), rows, cols, rt.bytes.data(), eo);
  if (rt.status.ok())
    rt.status = codec.decodeRows(rt.bytes.data(), rows, cols, rt.decoded.data());
  return rt;
}

/// Inputs whose channels are strongly correlated and equally scaled:
/// x = (low-rank mixture + 0.1 noise), normalized so diag(H) = 1. Then the
/// diagonal weighting is flat and only error feedback can help.
inline std::vector<float> correlatedSecondMoment(int64_t k, int64_t tokens, uint64_t seed) {
  const int64_t rank = 8;
  std::vector<float> mix = gaussian(rank * k, seed, 1.0f);
  std::vector<float> z = gaussian(tokens * rank, seed + 1, 1.0f);
  std::vector<float> noise = gaussian(tokens * k, seed + 2, 0.1f);
  std::vector<float> x(size_t(tokens * k));
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < k; ++c) {
      double s = noise[size_t(t * k + c)];
      for (int64_t r = 0; r < rank; ++r)
        s += double(z[size_t(t * rank + r)]) * mix[size_t(r * k + c)];
      x[size_t(t * k + c)] = float(s);
    }
  std::vector<float> xt(size_t(k * tokens)), h(size_t(k * k), 0.0f);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < k; ++c)
      xt[size_t(c * tokens + t)] = x[size_t(t * k + c)];
  gemmAccumulate(k, k, tokens, 1.0f / float(tokens), xt.data(), tokens,
                 x.data(), k, h.data(), k);
  std::vector<float> scale(static_cast<size_t>(k));
  for (int64_t c = 0; c < k; ++c)
    scale[size_t(c)] = 1.0f / std::sqrt(h[size_t(c * k + c)]);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      h[size_t(i * k + j)] *= scale[size_t(i)] * scale[size_t(j)];
  return h;
}

} // namespace itq3::format::test

#endif
