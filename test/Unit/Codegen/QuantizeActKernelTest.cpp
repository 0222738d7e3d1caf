//===- QuantizeActKernelTest.cpp - compiled activation quantizer ----------===//
//
// The compiled itq3.quantize_act_into must give exactly what the host
// reference gives: lib/Format's rotation (signs, FWHT-256) and the per-32
// quantization of MatmulReference.h. Same operations in the same order, so
// scales and int8 values are compared for equality.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Conversion/CpuQuantizeActKernel.h"
#include "itq3/Format/KronRotation.h"
#include "itq3/Format/LowBitActivations.h"
#include "itq3/Format/Twla.h"

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

struct QuantizeCase {
  int64_t k;
  bool rotate;
  uint64_t seed;
  int64_t block = 256; // the FWHT size with rotate
};

class QuantizeActKernelTest : public ::testing::TestWithParam<QuantizeCase> {};

TEST_P(QuantizeActKernelTest, EqualsTheHostReference) {
  const QuantizeCase &c = GetParam();
  std::string error;
  QuantizeActSpec spec{c.k, c.rotate, c.seed};
  spec.rotationBlock = c.block;
  auto kernel = CpuQuantizeActKernel::compile(spec, error);
  ASSERT_TRUE(kernel) << error;
  for (int64_t m : {1, 5}) {
    SCOPED_TRACE("M = " + std::to_string(m));
    std::vector<float> x = gaussian(m * c.k, 31 + m);
    x[3] = 0.0f; // a zero, and a group of zeros (scale 0)
    std::fill(x.begin() + 32, x.begin() + 64, 0.0f);
    std::vector<float> rotated = x;
    if (c.rotate)
      for (int64_t i = 0; i < m; ++i)
        fmt::rotateRow(&rotated[i * c.k], c.k, c.seed, c.block);
    std::vector<int8_t> expectedValues;
    std::vector<float> expectedScales;
    quantizeActivations(rotated, expectedValues, expectedScales);

    std::vector<int8_t> values(m * c.k);
    std::vector<float> scales(m * c.k / 32);
    kernel->run(x.data(), m, values.data(), scales.data());
    EXPECT_EQ(scales, expectedScales);
    EXPECT_EQ(values, expectedValues);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, QuantizeActKernelTest,
    ::testing::Values(QuantizeCase{96, false, 0}, QuantizeCase{256, false, 0},
                      QuantizeCase{256, true, 0}, QuantizeCase{4096, true, 0},
                      QuantizeCase{1024, true, 7},
                      // itq3_s64's rotation: SmolLM2's 576 = 9 x 64.
                      QuantizeCase{576, true, 0, 64},
                      QuantizeCase{576, true, 9, 64}),
    [](const ::testing::TestParamInfo<QuantizeCase> &info) {
      const QuantizeCase &c = info.param;
      return "k" + std::to_string(c.k) + (c.rotate ? "_rotate" : "") +
             (c.rotate && c.block != 256 ? std::to_string(c.block) : "") +
             (c.seed ? "_seed" + std::to_string(c.seed) : "");
    });

// The whole activation placement, compiled: the quantizer rotates and
// quantizes x, the int8 matmul multiplies with the stored (rotated) itq3_s
// weights; the result is the float product up to int8 activation error.
TEST(QuantizeActKernel, ChainsIntoTheInt8Matmul) {
  const int64_t n = 256, k = 1024, m = 3;
  const uint64_t seed = 5;
  std::string error;
  auto quantizer = CpuQuantizeActKernel::compile({k, true, seed}, error);
  ASSERT_TRUE(quantizer) << error;
  auto matmul = CpuMatmulKernel::compile(
      {fmt::FormatKind::ITQ3S, seed, /*rotateActivations=*/true,
       /*int8Activations=*/true, n, k},
      error);
  ASSERT_TRUE(matmul) << error;

  auto codec = fmt::createCodec(fmt::FormatKind::ITQ3S, fmt::CodecOptions{seed});
  std::vector<float> weights = gaussian(n * k, 9), decoded(n * k);
  std::vector<uint8_t> packed(codec->matrixBytes(n, k));
  ASSERT_TRUE(codec->encodeRows(weights.data(), n, k, packed.data()).ok());
  ASSERT_TRUE(codec->decodeRows(packed.data(), n, k, decoded.data()).ok());

  std::vector<float> x = gaussian(m * k, 10);
  std::vector<int8_t> values(m * k);
  std::vector<float> scales(m * k / 32), y(m * n);
  quantizer->run(x.data(), m, values.data(), scales.data());
  matmul->run(values.data(), scales.data(), m, packed.data(), y.data());
  EXPECT_LT(relativeError(y, referenceProduct(x, decoded, m, n, k)), 2e-2);
}

/// TWLA's quantizer: the rows rotated by C (x) B (when the spec has
/// factors, here lib/Format's fixed ones), then per-row asymmetric codes
/// (bits) or int8 per 32 (no bits). Rows of the input: Gaussian, one
/// constant row (a single level, kept exactly) and one narrow row far from
/// zero (its zero point at the int8 bound).
struct TwlaQuantizer {
  QuantizeActSpec spec;
  fmt::KronRotation rotation;
  static constexpr int64_t m = 4;

  explicit TwlaQuantizer(QuantizeActSpec s) : spec(s) {
    if (spec.kronL)
      rotation = fmt::fixedKronRotation(spec.k, 3);
  }
  std::vector<float> input() const {
    std::vector<float> x = gaussian(m * spec.k, 41);
    std::fill(x.begin() + spec.k, x.begin() + 2 * spec.k, 0.375f);
    for (int64_t j = 0; j < spec.k; ++j)
      x[size_t(2 * spec.k + j)] = 5.0f + 0.01f * float(j % 7);
    return x;
  }
  std::vector<float> rotated(std::vector<float> x) const {
    if (spec.kronL)
      fmt::kronRotateRows(rotation, x.data(), m, x.data());
    return x;
  }
  /// What the int8 values and scales stand for: code * scale.
  std::vector<float> dequantized(const std::vector<int8_t> &q,
                                 const std::vector<float> &scales) const {
    std::vector<float> out(q.size());
    for (size_t i = 0; i < q.size(); ++i)
      out[i] = float(q[i]) * scales[i / 32];
    return out;
  }
  void run(const CpuQuantizeActKernel &kernel, const std::vector<float> &x,
           std::vector<int8_t> &q, std::vector<float> &scales) const {
    q.assign(x.size(), 0);
    scales.assign(x.size() / 32, 0.0f);
    kernel.run(x.data(), m, q.data(), scales.data(), rotation.c.data(),
               rotation.b.data());
  }
};

class TwlaQuantizeActTest : public ::testing::TestWithParam<QuantizeActSpec> {};

// The rotated row is lib/Format's kronRotate bit for bit (same sums in the
// same order, in the scalar phases and in every lane of the vector ones),
// and the codes decode to quantizeTokenAsymmetric's values, or
// (no bits) equal the per-32 reference.
TEST_P(TwlaQuantizeActTest, EqualsLibFormat) {
  TwlaQuantizer t(GetParam());
  std::string error;
  auto kernel = CpuQuantizeActKernel::compile(t.spec, error);
  ASSERT_TRUE(kernel) << error;
  std::vector<float> x = t.input(), rotated = t.rotated(x);
  std::vector<int8_t> q;
  std::vector<float> scales;
  t.run(*kernel, x, q, scales);
  if (!t.spec.bits) {
    std::vector<int8_t> expectedQ;
    std::vector<float> expectedScales;
    quantizeActivations(rotated, expectedQ, expectedScales);
    EXPECT_EQ(scales, expectedScales);
    EXPECT_EQ(q, expectedQ);
    return;
  }
  std::vector<float> expected(rotated.size());
  for (int64_t i = 0; i < t.m; ++i)
    fmt::quantizeTokenAsymmetric(&rotated[i * t.spec.k], t.spec.k, t.spec.bits,
                                 t.spec.clip, &expected[i * t.spec.k]);
  EXPECT_EQ(t.dequantized(q, scales), expected);
  int levels = (1 << t.spec.bits) - 1;
  for (int8_t v : q)
    ASSERT_LE(std::abs(int(v)), levels + 127 - levels); // |q - z| <= 127
}

INSTANTIATE_TEST_SUITE_P(
    Twla, TwlaQuantizeActTest,
    ::testing::Values(
        // SmolLM2's 576 = 32 x 18, 4 bits with a clip; Qwen's 1536 = 48 x 32.
        QuantizeActSpec{576, false, 0, 32, 18, 4, 0.85f},
        QuantizeActSpec{1536, false, 0, 48, 32, 4, 1.0f},
        QuantizeActSpec{1536, false, 0, 48, 32, 3, 0.7f},
        // The CPU's vector phases in lanes of 16 (r = 64, Llama's 4096 =
        // 64 x 64) and of 4 (192 = 16 x 12); r = 18 above stays scalar.
        QuantizeActSpec{4096, false, 0, 64, 64, 4, 0.9f},
        QuantizeActSpec{192, false, 0, 16, 12, 4, 1.0f},
        // The rotation alone (int8 per 32, TWLA's 8-bit layers), and the
        // 4-bit codes alone.
        QuantizeActSpec{576, false, 0, 32, 18},
        QuantizeActSpec{96, false, 0, 0, 0, 4, 0.9f}),
    [](const ::testing::TestParamInfo<QuantizeActSpec> &info) {
      const QuantizeActSpec &c = info.param;
      std::string name = "k" + std::to_string(c.k);
      if (c.kronL)
        name += "_kron" + std::to_string(c.kronL) + "x" + std::to_string(c.kronR);
      if (c.bits)
        name += "_bits" + std::to_string(c.bits) + "_clip" +
                std::to_string(int(std::lround(c.clip * 100)));
      return name;
    });

// W1.58A4 compiled end to end: the quantizer rotates and codes x at 4
// bits, the int8 matmul multiplies with twla weights stored for the rotated
// domain (W R^T); the result is the product of the decoded weights and the
// decoded activations, up to the sum order.
TEST(QuantizeActKernel, TwlaChainsIntoTheInt8Matmul) {
  const int64_t n = 64, k = 576, m = 3;
  TwlaQuantizer t(QuantizeActSpec{k, false, 0, 32, 18, 4, 0.85f});
  std::string error;
  auto quantizer = CpuQuantizeActKernel::compile(t.spec, error);
  ASSERT_TRUE(quantizer) << error;
  auto matmul = CpuMatmulKernel::compile(
      {fmt::FormatKind::TWLA, 0, /*rotateActivations=*/false,
       /*int8Activations=*/true, n, k},
      error);
  ASSERT_TRUE(matmul) << error;
  std::vector<float> w = gaussian(n * k, 12);
  fmt::kronRotateRows(t.rotation, w.data(), n, w.data());
  auto codec = fmt::createCodec(fmt::FormatKind::TWLA);
  std::vector<uint8_t> packed(codec->matrixBytes(n, k));
  std::vector<float> decoded(n * k);
  ASSERT_TRUE(codec->encodeRows(w.data(), n, k, packed.data()).ok());
  ASSERT_TRUE(codec->decodeRows(packed.data(), n, k, decoded.data()).ok());

  std::vector<float> x = gaussian(m * k, 13), y(m * n);
  std::vector<int8_t> q(m * k);
  std::vector<float> scales(m * k / 32);
  quantizer->run(x.data(), m, q.data(), scales.data(), t.rotation.c.data(),
                 t.rotation.b.data());
  matmul->run(q.data(), scales.data(), m, packed.data(), y.data());
  EXPECT_LT(relativeError(y, referenceProduct(t.dequantized(q, scales), decoded,
                                              m, n, k)),
            1e-5);
}

} // namespace
