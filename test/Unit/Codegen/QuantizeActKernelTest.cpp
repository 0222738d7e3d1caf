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

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

struct QuantizeCase {
  int64_t k;
  bool rotate;
  uint64_t seed;
};

class QuantizeActKernelTest : public ::testing::TestWithParam<QuantizeCase> {};

TEST_P(QuantizeActKernelTest, EqualsTheHostReference) {
  const QuantizeCase &c = GetParam();
  std::string error;
  auto kernel = CpuQuantizeActKernel::compile(c.k, c.rotate, c.seed, error);
  ASSERT_TRUE(kernel) << error;
  for (int64_t m : {1, 5}) {
    SCOPED_TRACE("M = " + std::to_string(m));
    std::vector<float> x = gaussian(m * c.k, 31 + m);
    x[3] = 0.0f; // a zero, and a group of zeros (scale 0)
    std::fill(x.begin() + 32, x.begin() + 64, 0.0f);
    std::vector<float> rotated = x;
    if (c.rotate)
      for (int64_t i = 0; i < m; ++i)
        fmt::rotateRow(&rotated[i * c.k], c.k, c.seed);
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
                      QuantizeCase{1024, true, 7}),
    [](const ::testing::TestParamInfo<QuantizeCase> &info) {
      const QuantizeCase &c = info.param;
      return "k" + std::to_string(c.k) + (c.rotate ? "_rotate" : "") +
             (c.seed ? "_seed" + std::to_string(c.seed) : "");
    });

// The whole activation placement, compiled: the quantizer rotates and
// quantizes x, the int8 matmul multiplies with the stored (rotated) itq3_s
// weights; the result is the float product up to int8 activation error.
TEST(QuantizeActKernel, ChainsIntoTheInt8Matmul) {
  const int64_t n = 256, k = 1024, m = 3;
  const uint64_t seed = 5;
  std::string error;
  auto quantizer = CpuQuantizeActKernel::compile(k, true, seed, error);
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

} // namespace
