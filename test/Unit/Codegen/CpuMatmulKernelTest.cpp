//===- CpuMatmulKernelTest.cpp - compiled CPU kernels vs lib/Format -------===//
//
// Each case compiles the itq3.matmul_into kernel of one (format, rotation
// placement, N, K) through --itq3-to-cpu-llvm, runs it on several M, and
// compares with a plain float reference built from lib/Format's decoder.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/CpuMatmulKernel.h"

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

class CpuMatmulKernelTest : public ::testing::TestWithParam<Case> {};

TEST_P(CpuMatmulKernelTest, MatchesFloatReference) {
  const Case &c = GetParam();
  std::string error;
  auto kernel = CpuMatmulKernel::compile(c.spec(), error);
  ASSERT_TRUE(kernel) << error;
  std::vector<uint8_t> weights;
  expectMatchesReference(
      c, [&](const std::vector<uint8_t> &packed) { weights = packed; },
      [&](const float *x, const int8_t *q, const float *scales, int64_t m,
          float *y) {
        if (q)
          kernel->run(q, scales, m, weights.data(), y);
        else
          kernel->run(x, m, weights.data(), y);
      });
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
  // K not a multiple of 256: chunks of 32, one group per vector step.
  for (F format : {F::Q4, F::Q8})
    for (bool int8 : {false, true})
      cases.push_back({format, int8, 100, 96});
#if defined(__x86_64__)
  // The vector code compiled for a baseline x86-64 (SSE2, no AVX2): the
  // 32-wide vectors and the gather are split or scalarized by LLVM.
  for (F format : {F::ITQ3S, F::Q4, F::Q8})
    for (bool int8 : {false, true}) {
      Case c{format, int8, 100, 512};
      c.cpu = "x86-64";
      cases.push_back(c);
    }
#endif
  // The scalar decode (what the GPU mapping runs), kept on the CPU too.
  for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8})
    for (bool int8 : {false, true}) {
      Case c{format, int8, 100, 512};
      c.scalarDecode = true;
      cases.push_back(c);
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
  // The tensor-core form (16x8 blocks), run as loops: both placements, edge
  // tiles in M (40 = 16 + 16 + 8) and N (100), K split into 32s (q4, 96).
  std::vector<int64_t> mmaRows = {1, 16, 40};
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S, int8, 100, 512, /*seed=*/5, mmaRows, true});
    cases.push_back({F::ITQ3S, int8, 256, 1024, 0, mmaRows, true});
    cases.push_back({F::Q4, int8, 100, 96, 0, mmaRows, true});
  }
  cases.push_back({F::Q8, true, 768, 256, 0, mmaRows, true});
  // ptqtp (blocks of 128, no rotation): K = 256 and 512 decode in chunks
  // of 256 (two blocks), K = 384 in chunks of one block; odd N (edge
  // tiles); the vector decode, the scalar one (the GPU's), the 16x8 blocks,
  // and the baseline x86-64 vector code.
  for (bool int8 : {false, true}) {
    cases.push_back({F::PTQTP, int8, 256, 256});
    cases.push_back({F::PTQTP, int8, 99, 384});
    cases.push_back({F::PTQTP, int8, 37, 1536, 0, {1, 5}});
    Case scalar{F::PTQTP, int8, 99, 384};
    scalar.scalarDecode = true;
    cases.push_back(scalar);
    cases.push_back({F::PTQTP, int8, 100, 384, 0, mmaRows, true});
#if defined(__x86_64__)
    Case baseline{F::PTQTP, int8, 99, 512};
    baseline.cpu = "x86-64";
    cases.push_back(baseline);
#endif
  }
  // 256 x 3 tiles, each with a 32 KiB stage: more than a default 8 MiB stack
  // unless every tile releases its stage.
  cases.push_back({F::ITQ3S, false, 8192, 256, 0, {24}});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuMatmulKernelTest,
                         ::testing::ValuesIn(allCases()), caseName);

} // namespace
