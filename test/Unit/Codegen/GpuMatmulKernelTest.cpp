//===- GpuMatmulKernelTest.cpp - compiled GPU kernels vs lib/Format -------===//
//
// Compiling to PTX needs no GPU and runs everywhere. Running needs an NVIDIA
// driver and GPU: without them those tests skip and say why, unless
// ITQ3_REQUIRE_GPU=1 (scripts/gpu-check), which turns the skip into a
// failure.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/GpuMatmulKernel.h"
#include "itq3/Runtime/GpuMatmul.h"

#include <algorithm>
#include <cstdlib>

using namespace mlir::itq3;
using namespace itq3::testing;
using itq3::rt::MatmulKernelImage;

namespace {

using F = fmt::FormatKind;

TEST(GpuMatmulKernel, CompilesToPtxWithBufferParameters) {
  std::string error;
  auto image = compileGpuMatmulKernel({F::ITQ3S, 0, true, true, 64, 512},
                                      "sm_80", 256, error);
  ASSERT_TRUE(image) << error;
  EXPECT_NE(image->ptx.find(".entry " + image->entry), std::string::npos);
  EXPECT_NE(image->ptx.find("dp4a.s32.s32"), std::string::npos);
  // Outlining decides the order; the image records it, and every buffer
  // must be a parameter exactly once.
  using B = MatmulKernelImage::Buffer;
  std::vector<B> parameters = image->parameters;
  std::sort(parameters.begin(), parameters.end());
  std::vector<B> expected = {B::Activations, B::Weights, B::Result, B::Scales};
  EXPECT_EQ(parameters, expected);
  EXPECT_EQ(image->rowBytes, 220);
}

TEST(GpuMatmulKernel, NoDriverIsAClearMessage) {
  std::string why;
  auto driver = itq3::rt::CudaDriver::open(why);
  if (driver)
    GTEST_SKIP() << "a GPU is present (" << driver->deviceName() << ")";
  EXPECT_FALSE(why.empty());
}

class GpuMatmulKernelTest : public ::testing::TestWithParam<Case> {
protected:
  static void SetUpTestSuite() { driver = itq3::rt::CudaDriver::open(why); }
  static void TearDownTestSuite() { driver.reset(); }

  void SetUp() override {
    if (driver)
      return;
    const char *require = std::getenv("ITQ3_REQUIRE_GPU");
    if (require && std::string(require) == "1")
      FAIL() << "ITQ3_REQUIRE_GPU=1 but " << why;
    GTEST_SKIP() << why << "; GPU kernels are checked by scripts/gpu-check";
  }

  static std::unique_ptr<itq3::rt::CudaDriver> driver;
  static std::string why;
};

std::unique_ptr<itq3::rt::CudaDriver> GpuMatmulKernelTest::driver;
std::string GpuMatmulKernelTest::why;

TEST_P(GpuMatmulKernelTest, MatchesFloatReference) {
  const Case &c = GetParam();
  std::string error;
  auto image = compileGpuMatmulKernel(c.spec(), "sm_80", 256, error);
  ASSERT_TRUE(image) << error;
  std::unique_ptr<itq3::rt::GpuMatmul> matmul;
  expectMatchesReference(
      c,
      [&](const std::vector<uint8_t> &packed) {
        matmul = itq3::rt::GpuMatmul::create(*driver, *image, packed.data(),
                                             error);
        ASSERT_TRUE(matmul) << error;
      },
      [&](const float *x, const int8_t *q, const float *scales, int64_t m,
          float *y) {
        float ms = 0;
        ASSERT_TRUE(matmul->run(q ? (const void *)q : x, scales, m, y, ms,
                                error))
            << error;
      });
}

std::vector<Case> gpuCases() {
  std::vector<Case> cases;
  for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8, F::Q3R, F::PTQTP, F::TWLA})
    for (bool int8 : {false, true})
      cases.push_back({format, int8, 100, 512});
  for (bool int8 : {false, true}) { // one block per chunk, odd N
    cases.push_back({F::PTQTP, int8, 99, 384, 0, {1, 16, 40}, true});
    cases.push_back({F::TWLA, int8, 99, 576, 0, {1, 16, 40}, true});
    cases.push_back({F::ITQ3S64, int8, 99, 576, /*seed=*/5});
    cases.push_back({F::ITQ3S64, int8, 99, 576, /*seed=*/5, {1, 16, 40}, true});
  }
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S, int8, 768, 1024, /*seed=*/5});
    cases.push_back({F::ITQ3S, int8, 4096, 4096, 0, {1, 16}});
    // mma.sync: full and edge tiles in M and N.
    cases.push_back({F::ITQ3S, int8, 100, 512, /*seed=*/5, {1, 16, 40}, true});
    cases.push_back({F::Q4, int8, 768, 1024, 0, {16, 64}, true});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, GpuMatmulKernelTest,
                         ::testing::ValuesIn(gpuCases()), caseName);

} // namespace
