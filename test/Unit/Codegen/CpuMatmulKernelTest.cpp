//===- CpuMatmulKernelTest.cpp - compiled CPU kernels vs lib/Format -------===//
//
// Each case compiles the itq3.matmul_into kernel of one (format, rotation
// placement, N, K) through --itq3-to-cpu-llvm, runs it on several M, and
// compares with a plain float reference built from lib/Format's decoder.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Format/Codec.h"
#include "itq3/Format/FWHT.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace mlir::itq3;
namespace fmt = itq3::format;

namespace {

struct Case {
  fmt::FormatKind format;
  bool int8Activations;
  int64_t n, k;
  uint64_t seed = 0;
  std::vector<int64_t> ms = {1, 3, 8, 64};
};

std::string describe(const Case &c) {
  std::string name(fmt::formatName(c.format));
  name += c.int8Activations ? "_int8" : "_float";
  name += "_n" + std::to_string(c.n) + "_k" + std::to_string(c.k);
  if (c.seed)
    name += "_seed" + std::to_string(c.seed);
  return name;
}

std::string caseName(const testing::TestParamInfo<Case> &info) {
  return describe(info.param);
}

void PrintTo(const Case &c, std::ostream *os) { *os << describe(c); }

std::vector<float> gaussian(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// y[m, n] = sum_k x[m, k] * w[n, k], accumulated in double.
std::vector<float> referenceProduct(const std::vector<float> &x,
                                    const std::vector<float> &w, int64_t m,
                                    int64_t n, int64_t k) {
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
double relativeError(const std::vector<float> &a, const std::vector<float> &b) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += double(a[i] - b[i]) * (a[i] - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

/// What itq3.quantize_act computes: per 32, scale = max|x| / 127 and
/// q = round(x / scale).
void quantizeActivations(const std::vector<float> &x, std::vector<int8_t> &q,
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

class CpuMatmulKernelTest : public testing::TestWithParam<Case> {};

TEST_P(CpuMatmulKernelTest, MatchesFloatReference) {
  const Case &c = GetParam();
  auto codec = fmt::createCodec(c.format, fmt::CodecOptions{c.seed});
  bool rotateActivations = codec->isRotated() && c.int8Activations;
  MatmulKernelSpec spec{c.format, c.seed, rotateActivations,
                        c.int8Activations, c.n, c.k};
  std::string error;
  auto kernel = CpuMatmulKernel::compile(spec, error);
  ASSERT_TRUE(kernel) << error;

  std::vector<float> weights = gaussian(c.n * c.k, 7);
  std::vector<uint8_t> packed(codec->matrixBytes(c.n, c.k));
  ASSERT_TRUE(codec->encodeRows(weights.data(), c.n, c.k, packed.data()).ok());
  std::vector<float> decoded(c.n * c.k);
  ASSERT_TRUE(codec->decodeRows(packed.data(), c.n, c.k, decoded.data()).ok());
  // The int8 path of a rotated format multiplies in the rotated domain.
  std::vector<float> stored = decoded;
  if (rotateActivations)
    for (int64_t j = 0; j < c.n; ++j)
      fmt::rotateRow(&stored[j * c.k], c.k, c.seed);

  for (int64_t m : c.ms) {
    SCOPED_TRACE("M = " + std::to_string(m));
    std::vector<float> x = gaussian(m * c.k, 100 + m);
    std::vector<float> exact = referenceProduct(x, decoded, m, c.n, c.k);
    std::vector<float> y(m * c.n, NAN);
    if (!c.int8Activations) {
      kernel->run(x.data(), m, packed.data(), y.data());
      EXPECT_LT(relativeError(y, exact), 1e-5);
      continue;
    }
    std::vector<float> rotated = x;
    if (rotateActivations)
      for (int64_t i = 0; i < m; ++i)
        fmt::rotateRow(&rotated[i * c.k], c.k, c.seed);
    std::vector<int8_t> q;
    std::vector<float> scales;
    quantizeActivations(rotated, q, scales);
    kernel->run(q.data(), scales.data(), m, packed.data(), y.data());
    // Exact against the same quantized activations...
    std::vector<float> dequantized(q.size());
    for (size_t i = 0; i < q.size(); ++i)
      dequantized[i] = q[i] * scales[i / 32];
    EXPECT_LT(relativeError(y, referenceProduct(dequantized, stored, m, c.n, c.k)),
              1e-5);
    // ...and within int8 activation error of the float product.
    EXPECT_LT(relativeError(y, exact), 2e-2);
  }
}

using F = fmt::FormatKind;
std::vector<Case> allCases() {
  std::vector<Case> cases;
  for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8, F::Q3, F::Q3R}) {
    for (bool int8 : {false, true}) {
      cases.push_back({format, int8, 256, 256});
      cases.push_back({format, int8, 100, 512}); // N not a multiple of the tile
    }
  }
  cases.push_back({F::F16, false, 256, 256});
  cases.push_back({F::F16, false, 100, 40});
  for (bool int8 : {false, true}) {
    for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8})
      cases.push_back({format, int8, 768, 1024});
    cases.push_back({F::ITQ3S, int8, 256, 512, /*seed=*/11});
    cases.push_back({F::ITQ3S, int8, 4096, 256, 0, {1, 3}});
    cases.push_back({F::ITQ3S, int8, 256, 4096, 0, {1, 3, 8}});
  }
  // 256 x 3 tiles, each with a 32 KiB stage: more than a default 8 MiB stack
  // unless every tile releases its stage.
  cases.push_back({F::ITQ3S, false, 8192, 256, 0, {24}});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuMatmulKernelTest,
                         testing::ValuesIn(allCases()), caseName);

} // namespace
