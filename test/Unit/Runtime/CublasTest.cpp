//===- CublasTest.cpp - the cuBLAS fp16 baseline vs a float reference -----===//
//
// Needs an NVIDIA driver, a GPU and libcublas: without them the tests skip
// and say why, unless ITQ3_REQUIRE_GPU=1 (scripts/gpu-check), which turns the
// skip into a failure.
//
//===----------------------------------------------------------------------===//
#include "itq3/Format/Half.h"
#include "itq3/Runtime/Cublas.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

using itq3::format::floatToHalf;
using itq3::format::halfToFloat;

namespace {

class CublasGemmTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    driver = itq3::rt::CudaDriver::open(why);
    if (driver)
      gemm = itq3::rt::CublasGemm::open(*driver, why);
  }
  static void TearDownTestSuite() {
    gemm.reset(); // before the driver releases the context
    driver.reset();
  }

  void SetUp() override {
    if (gemm)
      return;
    const char *require = std::getenv("ITQ3_REQUIRE_GPU");
    if (require && std::string(require) == "1")
      FAIL() << "ITQ3_REQUIRE_GPU=1 but " << why;
    GTEST_SKIP() << why << "; the cuBLAS baseline is checked by "
                 << "scripts/gpu-check";
  }

  static std::unique_ptr<itq3::rt::CudaDriver> driver;
  static std::unique_ptr<itq3::rt::CublasGemm> gemm;
  static std::string why;
};

std::unique_ptr<itq3::rt::CudaDriver> CublasGemmTest::driver;
std::unique_ptr<itq3::rt::CublasGemm> CublasGemmTest::gemm;
std::string CublasGemmTest::why;

/// fp16 values in [-1, 1) from a fixed LCG.
std::vector<uint16_t> halves(size_t count, uint32_t seed) {
  std::vector<uint16_t> values(count);
  for (uint16_t &v : values) {
    seed = seed * 1664525u + 1013904223u;
    v = floatToHalf(float(seed >> 8) / float(1u << 23) - 1.0f);
  }
  return values;
}

TEST_F(CublasGemmTest, MatchesFloatReference) {
  struct Size {
    int64_t m, n, k;
  };
  // Non-square, M != N, and N not a multiple of 8 in the last one, so a
  // swapped operand or leading dimension cannot pass.
  for (Size s : {Size{3, 40, 64}, Size{16, 96, 256}, Size{5, 33, 40}}) {
    SCOPED_TRACE(testing::Message() << "M=" << s.m << " N=" << s.n
                                    << " K=" << s.k);
    std::vector<uint16_t> x = halves(s.m * s.k, 1), w = halves(s.n * s.k, 2);
    std::vector<uint16_t> y(s.m * s.n, 0x7e00); // NaN until written
    std::string error;
    ASSERT_TRUE(gemm->run(x.data(), w.data(), s.m, s.n, s.k, y.data(), error))
        << error;
    double errSq = 0, refSq = 0;
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) {
        double ref = 0;
        for (int64_t e = 0; e < s.k; ++e)
          ref += double(halfToFloat(x[i * s.k + e])) *
                 halfToFloat(w[j * s.k + e]);
        double got = halfToFloat(y[i * s.n + j]);
        // fp32 accumulation, then rounding to fp16 (2^-11 relative): the bound
        // leaves room for a few roundings, not for a wrong operand.
        ASSERT_NEAR(got, ref, 2e-3 * std::fabs(ref) + 2e-3)
            << "at y[" << i << "][" << j << "]";
        errSq += (got - ref) * (got - ref);
        refSq += ref * ref;
      }
    EXPECT_LT(std::sqrt(errSq / refSq), 1e-2);
  }
}

TEST_F(CublasGemmTest, TimesAGemm) {
  double seconds = 0;
  std::string error;
  ASSERT_TRUE(gemm->timeHalfGemm(16, 1024, 1024, 3, seconds, error)) << error;
  EXPECT_GT(seconds, 0);
  EXPECT_LT(seconds, 1);
}

} // namespace
