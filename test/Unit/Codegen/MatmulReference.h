//===- MatmulReference.h - compiled kernels vs a float reference -*- C++ -*-===//
//
// Shared by the CPU and GPU kernel tests: the cases, inputs, the plain float
// product and what itq3.quantize_act computes, written independently of the
// kernels, and the comparison itself. Each test supplies how to run its
// compiled kernel.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TEST_UNIT_CODEGEN_MATMULREFERENCE_H
#define ITQ3_TEST_UNIT_CODEGEN_MATMULREFERENCE_H

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Format/Codec.h"
#include "itq3/Format/FWHT.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace itq3::testing {

namespace fmt = itq3::format;

struct Case {
  fmt::FormatKind format;
  bool int8Activations;
  int64_t n, k;
  uint64_t seed = 0;
  std::vector<int64_t> ms = {1, 3, 8, 64};
  /// Products on 16x8 blocks (tiles of 16 x 16): the tensor-core form.
  bool mma = false;
  /// The scalar decode (one column step at a time, as on GPUs) instead of
  /// the CPU's vector decode of 32 columns.
  bool scalarDecode = false;
  /// The LLVM CPU the kernel is compiled for (empty: this host).
  std::string cpu;
  /// Activation rows per tile: 8 (decode tiles), or 64 as the compiled
  /// model's prefill variant uses.
  int64_t tileM = 8;

  /// Rotated formats with int8 activations rotate the activations.
  bool rotatesActivations() const {
    return int8Activations && fmt::createCodec(format)->isRotated();
  }
  /// The FWHT size of the format (0 if it is not rotated).
  int64_t rotationBlock() const {
    return fmt::createCodec(format)->rotationBlock();
  }

  mlir::itq3::MatmulKernelSpec spec() const {
    mlir::itq3::MatmulKernelSpec spec{format, seed, rotatesActivations(),
                                      int8Activations, n, k};
    spec.tileM = tileM;
    if (mma) {
      spec.tileM = spec.tileN = 16;
      spec.mma = true;
    }
    spec.vectorDecode = !scalarDecode;
    spec.cpu = cpu;
    return spec;
  }

  /// The float path is exact up to f32 rounding, except that the f16
  /// blocks round both operands to f16 (2^-11 relative each).
  double floatTolerance() const { return mma ? 2e-3 : 1e-5; }
};

inline std::string describe(const Case &c) {
  std::string name(fmt::formatName(c.format));
  name += c.int8Activations ? "_int8" : "_float";
  name += "_n" + std::to_string(c.n) + "_k" + std::to_string(c.k);
  if (c.seed)
    name += "_seed" + std::to_string(c.seed);
  if (c.mma)
    name += "_mma";
  if (c.scalarDecode)
    name += "_scalar";
  if (c.tileM != 8)
    name += "_tile" + std::to_string(c.tileM);
  if (!c.cpu.empty())
    name += "_";
  for (char ch : c.cpu)
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

inline std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  return describe(info.param);
}

inline void PrintTo(const Case &c, std::ostream *os) { *os << describe(c); }

inline std::vector<float> gaussian(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// y[m, n] = sum_k x[m, k] * w[n, k], accumulated in double.
inline std::vector<float> referenceProduct(const std::vector<float> &x,
                                           const std::vector<float> &w,
                                           int64_t m, int64_t n, int64_t k) {
  std::vector<float> y(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t e = 0; e < k; ++e)
        sum += double(x[i * k + e]) * w[j * k + e];
      y[i * n + j] = float(sum);
    }
  return y;
}

/// ||a - b|| / ||b||.
inline double relativeError(const std::vector<float> &a,
                            const std::vector<float> &b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += double(a[i] - b[i]) * (a[i] - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

/// What itq3.quantize_act computes: per 32, scale = max|x| / 127 and
/// q = round(x / scale).
inline void quantizeActivations(const std::vector<float> &x,
                                std::vector<int8_t> &q,
                                std::vector<float> &scales) {
  q.assign(x.size(), 0);
  scales.assign(x.size() / 32, 0.0f);
  for (size_t g = 0; g < scales.size(); ++g) {
    float max = 0;
    for (int e = 0; e < 32; ++e)
      max = std::max(max, std::fabs(x[g * 32 + e]));
    scales[g] = max / 127.0f;
    for (int e = 0; e < 32 && max > 0; ++e)
      q[g * 32 + e] = int8_t(std::lround(x[g * 32 + e] / scales[g]));
  }
}

/// Every row of `rows` (each `k` long) rotated as rotated formats store
/// weights and as the activation placement rotates activations: H D r per
/// `block` columns.
inline std::vector<float> rotatedRows(std::vector<float> rows, int64_t k,
                                      uint64_t seed, int64_t block = 256) {
  for (size_t r = 0; r < rows.size() / k; ++r)
    fmt::rotateRow(&rows[r * k], k, seed, block);
  return rows;
}

/// The int8 activations of the integer path and the floats they stand for.
struct Int8Activations {
  std::vector<int8_t> q;
  std::vector<float> scales, dequantized;
};

inline Int8Activations int8Activations(const std::vector<float> &x) {
  Int8Activations a;
  quantizeActivations(x, a.q, a.scales);
  a.dequantized.resize(a.q.size());
  for (size_t i = 0; i < a.q.size(); ++i)
    a.dequantized[i] = a.q[i] * a.scales[i / 32];
  return a;
}

/// The decoded weights as a case's int8 kernel multiplies them: rotated
/// where the format multiplies in the rotated domain.
inline std::vector<float> storedWeights(const Case &c,
                                        const std::vector<float> &decoded) {
  return c.rotatesActivations()
             ? rotatedRows(decoded, c.k, c.seed, c.rotationBlock())
             : decoded;
}

/// What a case's int8 kernel computes for float input x (m rows): the int8
/// activations of x (rotated first, like the weights) and their product
/// with `stored` (storedWeights).
struct Int8Reference {
  Int8Activations a;
  std::vector<float> product;
};
inline Int8Reference int8Reference(const Case &c, const std::vector<float> &x,
                                   const std::vector<float> &stored,
                                   int64_t m) {
  Int8Reference r{int8Activations(c.rotatesActivations()
                                      ? rotatedRows(x, c.k, c.seed,
                                                    c.rotationBlock())
                                      : x),
                  {}};
  r.product = referenceProduct(r.a.dequantized, stored, m, c.n, c.k);
  return r;
}

/// The float weights of an N x K case.
inline std::vector<float> testWeights(int64_t n, int64_t k) {
  return gaussian(n * k, 7);
}

/// testWeights(n, k) as `codec` packs them and as they decode.
inline void encodeTestWeights(const fmt::Codec &codec, int64_t n, int64_t k,
                              std::vector<uint8_t> &packed,
                              std::vector<float> &decoded) {
  std::vector<float> weights = testWeights(n, k);
  packed.assign(codec.matrixBytes(n, k), 0);
  ASSERT_TRUE(codec.encodeRows(weights.data(), n, k, packed.data()).ok());
  decoded.assign(n * k, 0.0f);
  ASSERT_TRUE(codec.decodeRows(packed.data(), n, k, decoded.data()).ok());
}

/// Runs a compiled kernel: float `x` for float kernels, or int8 `q` with
/// `scales` for int8 kernels; writes y (m x n).
using RunKernel = std::function<void(const float *x, const int8_t *q,
                                     const float *scales, int64_t m,
                                     float *y)>;

/// Encodes random weights with lib/Format, hands the packed bytes to
/// `load`, then checks `run` on every M of the case against the float
/// reference built from lib/Format's decoder.
inline void expectMatchesReference(
    const Case &c, const std::function<void(const std::vector<uint8_t> &)> &load,
    const RunKernel &run) {
  auto codec = fmt::createCodec(c.format, fmt::CodecOptions{c.seed});
  std::vector<uint8_t> packed;
  std::vector<float> decoded;
  ASSERT_NO_FATAL_FAILURE(encodeTestWeights(*codec, c.n, c.k, packed, decoded));
  std::vector<float> stored = storedWeights(c, decoded);
  load(packed);

  for (int64_t m : c.ms) {
    SCOPED_TRACE("M = " + std::to_string(m));
    std::vector<float> x = gaussian(m * c.k, 100 + m);
    std::vector<float> exact = referenceProduct(x, decoded, m, c.n, c.k);
    std::vector<float> y(m * c.n, NAN);
    if (!c.int8Activations) {
      run(x.data(), nullptr, nullptr, m, y.data());
      EXPECT_LT(relativeError(y, exact), c.floatTolerance());
      continue;
    }
    Int8Reference r = int8Reference(c, x, stored, m);
    run(nullptr, r.a.q.data(), r.a.scales.data(), m, y.data());
    // Exact against the same quantized activations...
    EXPECT_LT(relativeError(y, r.product), 1e-5);
    // ...and within int8 activation error of the float product.
    EXPECT_LT(relativeError(y, exact), 2e-2);
  }
}

} // namespace itq3::testing

#endif // ITQ3_TEST_UNIT_CODEGEN_MATMULREFERENCE_H
