//===- TwinMatmulKernelTest.cpp - TwinQuant's fused kernel vs lib/Format --===//
//
// itq3.twin_matmul_into compiled for the CPU and for the GPU (its mapping
// emulated on the CPU, both thread orders) against the float product of the
// decoded components, R^ + U^ V^ (lib/Format decodeTwinQuant): float and
// int8 activations, q4 and q8 factors, ranks that are and are not multiples
// of the 8 rows per product of t, edge tiles in M and N, tiles of N of
// several blocks of U^T, the scalar decode and the 16x8 block form.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Format/TwinQuant.h"

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

struct TwinCase {
  int64_t n, k, rank;
  int factorBits;
  bool int8;
  bool scalarDecode = false, mma = false, gpu = false;
  int64_t tileN = 32;
};

/// An encoded twin weight, split into the three operands of the kernel.
struct TwinWeight {
  std::vector<uint8_t> packed;
  fmt::TwinQuantLayout layout;
  std::vector<float> decoded;
  const uint8_t *residual() const { return packed.data(); }
  TwinFactorBytes factors() const {
    return {packed.data() + layout.residualBytes,
            packed.data() + layout.residualBytes + layout.uBytes};
  }
};

TwinWeight encodeTwin(const TwinCase &c, fmt::TwinQuantParams p) {
  TwinWeight t;
  std::vector<float> w = gaussian(c.n * c.k, 5);
  EXPECT_TRUE(fmt::twinQuantLayout(c.n, c.k, p, t.layout).ok());
  EXPECT_TRUE(fmt::encodeTwinQuant(w.data(), c.n, c.k, p, {}, t.packed).ok());
  t.decoded.resize(w.size());
  EXPECT_TRUE(
      fmt::decodeTwinQuant(t.packed.data(), c.n, c.k, p, t.decoded.data()).ok());
  return t;
}

class TwinMatmulKernelTest : public ::testing::TestWithParam<TwinCase> {};

TEST_P(TwinMatmulKernelTest, MatchesTheDecodedComponents) {
  const TwinCase &c = GetParam();
  fmt::TwinQuantParams p;
  p.rank = c.rank;
  p.factorBits = c.factorBits;
  TwinWeight weight = encodeTwin(c, p);

  MatmulKernelSpec spec{fmt::FormatKind::Q4, 0, false, c.int8, c.n, c.k};
  spec.twinRank = c.rank;
  spec.factorFormat = c.factorBits == 8 ? fmt::FormatKind::Q8 : fmt::FormatKind::Q4;
  spec.vectorDecode = !c.scalarDecode;
  spec.threads = 2;
  spec.tileN = c.tileN;
  if (c.mma) {
    spec.tileM = 16; // tile N stays 32: whole blocks of U^T
    spec.mma = true;
  }
  std::string error;
  std::vector<std::unique_ptr<CpuMatmulKernel>> kernels;
  if (c.gpu)
    for (bool reverse : {false, true}) {
      GpuEmulation emulation;
      emulation.reverseThreads = reverse;
      kernels.push_back(CpuMatmulKernel::compileGpuEmulation(spec, emulation, error));
    }
  else
    kernels.push_back(CpuMatmulKernel::compile(spec, error));
  for (auto &kernel : kernels) {
    ASSERT_TRUE(kernel) << error;
    for (int64_t m : {1, 3, 19}) {
      SCOPED_TRACE("M = " + std::to_string(m));
      std::vector<float> x = gaussian(m * c.k, 60 + m), y(m * c.n, -1.0f);
      std::vector<float> reference;
      if (c.int8) {
        Int8Activations a = int8Activations(x);
        kernel->run(a.q.data(), a.scales.data(), m, weight.residual(), y.data(),
                    weight.factors());
        reference = referenceProduct(a.dequantized, weight.decoded, m, c.n, c.k);
      } else {
        kernel->run(x.data(), m, weight.residual(), y.data(), weight.factors());
        reference = referenceProduct(x, weight.decoded, m, c.n, c.k);
      }
      // The low-rank part is about a third of the product here: losing it,
      // or any factor's scale or sign, is far outside this bound.
      EXPECT_LT(relativeError(y, reference), c.mma && !c.int8 ? 2e-3 : 1e-5);
    }
  }
}

std::string twinCaseName(const ::testing::TestParamInfo<TwinCase> &info) {
  const TwinCase &c = info.param;
  return "n" + std::to_string(c.n) + "_k" + std::to_string(c.k) + "_r" +
         std::to_string(c.rank) + "_f" + std::to_string(c.factorBits) +
         (c.int8 ? "_int8" : "_float") + (c.scalarDecode ? "_scalar" : "") +
         (c.mma ? "_mma" : "") + (c.gpu ? "_gpu" : "") +
         (c.tileN != 32 ? "_tn" + std::to_string(c.tileN) : "");
}

std::vector<TwinCase> twinCases() {
  std::vector<TwinCase> cases;
  for (bool int8 : {false, true}) {
    cases.push_back({256, 512, 24, 4, int8});           // rank 3 x 8
    cases.push_back({96, 1536, 85, 4, int8});           // rank 10 x 8 + 5
    cases.push_back({160, 256, 19, 8, int8});           // q8 factors, N edge
    cases.push_back({96, 1536, 85, 4, int8, true});     // scalar decode
    cases.push_back({160, 512, 40, 4, int8, false, true}); // 16x8 blocks
    cases.push_back({96, 512, 21, 4, int8, false, false, true}); // GPU
    // Tiles of 96 columns (3 blocks of U^T each) and an edge tile of 32.
    cases.push_back({224, 512, 24, 8, int8, false, false, false, 96});
  }
  // mma.sync s8 on the GPU. (The f16 blocks' stages of the two products,
  // t's and the residual's, need 81 KiB: the mapping refuses them with a
  // message, over the 48 KiB of static shared memory.)
  cases.push_back({160, 512, 40, 8, true, false, true, true});
  // (On the GPU only with int8 x: the f32 stages of 96 columns need 105 KiB.)
  cases.push_back({224, 512, 24, 8, true, false, false, true, 96});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, TwinMatmulKernelTest,
                         ::testing::ValuesIn(twinCases()), twinCaseName);

} // namespace
