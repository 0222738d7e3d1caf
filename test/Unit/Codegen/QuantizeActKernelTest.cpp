//===- QuantizeActKernelTest.cpp - compiled activation quantizer ----------===//
//
// The compiled itq3.quantize_act_into must give exactly what the host
// reference gives: lib/Format's rotation (signs, FWHT-256) and the per-32
// quantization of MatmulReference.h. Same operations in the same order, so
// scales and int8 values are compared for equality.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

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

} // namespace
