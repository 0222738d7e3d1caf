//===- GpuEmulationTest.cpp - the GPU mapping, executed on the CPU --------===//
//
// Every GPU kernel shape the compiler emits (each format, both rotation
// placements, dp4a decode tiles and mma.sync prefill tiles, odd N, edge
// tiles, the activation quantizer) is lowered through --itq3-to-gpu-kernels
// and executed by --itq3-emulate-gpu, in both thread orders: the results
// must match the float reference with the CPU mapping's tolerances, and
// the two orders must agree bit for bit (a missing barrier shows there).
// Mutations of the GPU-level IR (a barrier removed, a fragment register
// misplaced, dp4a on unsigned bytes) must be caught.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"
#include "itq3/Format/KronRotation.h"
#include "itq3/Format/LowBitActivations.h"

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Conversion/CpuQuantizeActKernel.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cstring>

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

using F = fmt::FormatKind;

/// Both thread orders of one kernel's emulation.
struct Emulated {
  std::unique_ptr<CpuMatmulKernel> forward, reverse;
};

Emulated emulate(const Case &c, std::string &error,
                 std::function<void(mlir::Operation *)> mutate = nullptr) {
  GpuEmulation emulation;
  emulation.mutate = mutate;
  Emulated kernels;
  kernels.forward = CpuMatmulKernel::compileGpuEmulation(c.spec(), emulation, error);
  emulation.reverseThreads = true;
  if (kernels.forward)
    kernels.reverse =
        CpuMatmulKernel::compileGpuEmulation(c.spec(), emulation, error);
  return kernels;
}

void run(const CpuMatmulKernel &kernel, const std::vector<uint8_t> &w,
         const float *x, const int8_t *q, const float *scales, int64_t m,
         float *y) {
  if (q)
    kernel.run(q, scales, m, w.data(), y);
  else
    kernel.run(x, m, w.data(), y);
}

class GpuEmulationTest : public ::testing::TestWithParam<Case> {};

TEST_P(GpuEmulationTest, MatchesFloatReferenceInBothThreadOrders) {
  const Case &c = GetParam();
  std::string error;
  Emulated kernels = emulate(c, error);
  ASSERT_TRUE(kernels.forward && kernels.reverse) << error;
  std::vector<uint8_t> weights;
  expectMatchesReference(
      c, [&](const std::vector<uint8_t> &packed) { weights = packed; },
      [&](const float *x, const int8_t *q, const float *scales, int64_t m,
          float *y) {
        run(*kernels.forward, weights, x, q, scales, m, y);
        std::vector<float> reversed(m * c.n, NAN);
        run(*kernels.reverse, weights, x, q, scales, m, reversed.data());
        EXPECT_EQ(std::memcmp(y, reversed.data(), m * c.n * sizeof(float)), 0)
            << "the two thread orders disagree: a race between threads";
      });
}

std::vector<Case> emulatedCases() {
  std::vector<Case> cases;
  // dp4a / f32 decode tiles (8 x 32), every format and both placements,
  // N not a multiple of the tile.
  for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8, F::Q3, F::Q3R})
    for (bool int8 : {false, true})
      cases.push_back({format, int8, 100, 512, 0, {1, 3, 8, 19}});
  cases.push_back({F::F16, false, 100, 40, 0, {1, 3}});
  for (bool int8 : {false, true}) {
    cases.push_back({F::PTQTP, int8, 37, 256, 0, {1, 3}}); // trit-planes
    cases.push_back({F::TWLA, int8, 37, 576, 0, {1, 3}});  // groups of 64
  }
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S, int8, 256, 1024, /*seed=*/5, {1, 8}});
    cases.push_back({F::Q4, int8, 100, 352, 0, {1, 5}}); // K in 32s
    cases.push_back({F::Q4, int8, 37, 96, 0, {1, 5}});   // K in one 96
  }
  // mma.sync tiles (16 x 16): full and edge tiles in M (40 = 16 + 16 + 8)
  // and N, both placements (f16 and s8 fragments).
  std::vector<int64_t> mmaRows = {1, 16, 40};
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S, int8, 100, 512, /*seed=*/5, mmaRows, true});
    cases.push_back({F::Q4, int8, 100, 352, 0, mmaRows, true});
    cases.push_back({F::IQ3, int8, 40, 256, 0, {16}, true});
  }
  cases.push_back({F::Q8, true, 72, 256, 0, mmaRows, true});
  cases.push_back({F::PTQTP, true, 40, 384, 0, {16}, true});
  cases.push_back({F::TWLA, true, 40, 576, 0, {16}, true});
  // itq3_s64 (FWHT-64 in the stage, 6 butterfly phases): both placements,
  // dp4a / f32 tiles and mma.sync tiles.
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S64, int8, 37, 576, /*seed=*/5, {1, 3}});
    cases.push_back({F::ITQ3S64, int8, 40, 576, /*seed=*/5, {16}, true});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, GpuEmulationTest,
                         ::testing::ValuesIn(emulatedCases()), caseName);

/// The error the reference tests bound, on one M: against the float product
/// of the decoded weights, or for int8 kernels of the same quantized
/// activations; and whether both thread orders agree.
struct Outcome {
  double error = 0;
  bool ordersAgree = true;
};

Outcome measure(const Case &c, const Emulated &kernels, int64_t m) {
  auto codec = fmt::createCodec(c.format, fmt::CodecOptions{c.seed});
  std::vector<uint8_t> packed;
  std::vector<float> decoded;
  encodeTestWeights(*codec, c.n, c.k, packed, decoded);
  std::vector<float> x = gaussian(m * c.k, 3);
  std::vector<float> exact = referenceProduct(x, decoded, m, c.n, c.k);
  std::vector<float> y(m * c.n), reversed(m * c.n);
  if (c.int8Activations) {
    Int8Reference r = int8Reference(c, x, storedWeights(c, decoded), m);
    exact = r.product;
    kernels.forward->run(r.a.q.data(), r.a.scales.data(), m, packed.data(),
                         y.data());
    kernels.reverse->run(r.a.q.data(), r.a.scales.data(), m, packed.data(),
                         reversed.data());
  } else {
    kernels.forward->run(x.data(), m, packed.data(), y.data());
    kernels.reverse->run(x.data(), m, packed.data(), reversed.data());
  }
  return {relativeError(y, exact),
          std::memcmp(y.data(), reversed.data(), y.size() * sizeof(float)) == 0};
}

/// A mutation is caught when the result leaves the tolerance of the
/// unmutated kernel or the thread orders disagree.
void expectCaught(const Case &c, int64_t m,
                  std::function<void(mlir::Operation *)> mutate) {
  std::string error;
  Emulated intact = emulate(c, error);
  ASSERT_TRUE(intact.forward && intact.reverse) << error;
  Outcome good = measure(c, intact, m);
  double tolerance = c.int8Activations ? 1e-5 : c.floatTolerance();
  ASSERT_LT(good.error, tolerance);
  ASSERT_TRUE(good.ordersAgree);
  bool mutated = false;
  Emulated broken = emulate(c, error, [&](mlir::Operation *module) {
    mutated = true;
    mutate(module);
  });
  ASSERT_TRUE(mutated);
  ASSERT_TRUE(broken.forward && broken.reverse) << error;
  Outcome bad = measure(c, broken, m);
  EXPECT_TRUE(bad.error > tolerance || !bad.ordersAgree)
      << "mutation not caught: error " << bad.error << ", orders agree "
      << bad.ordersAgree;
}

/// Removes the `which`-th barrier of the module's kernels.
std::function<void(mlir::Operation *)> removeBarrier(int which) {
  return [which](mlir::Operation *module) {
    int seen = 0;
    mlir::gpu::BarrierOp victim;
    module->walk([&](mlir::gpu::BarrierOp op) {
      if (seen++ == which)
        victim = op;
    });
    ASSERT_TRUE(victim) << "no barrier " << which;
    victim.erase();
  };
}

// The barrier between the decoded tile's shared-memory stage and the first
// inverse-FWHT butterfly (weight placement), and between the activation
// scales' stage and the dp4a products (activation placement).
TEST(GpuEmulationMutation, MissingBarrierIsCaught) {
  expectCaught({F::ITQ3S, false, 64, 256}, 3, removeBarrier(1));
  expectCaught({F::ITQ3S, true, 64, 256}, 3, removeBarrier(2));
}

/// Swaps registers 1 and 2 of every A fragment built for mma.sync: each
/// lane's data lands at another fragment offset.
void swapFragmentRegisters(mlir::Operation *module) {
  int swapped = 0;
  module->walk([&](mlir::vector::InsertOp insert) {
    auto type = mlir::dyn_cast<mlir::VectorType>(insert.getDest().getType());
    if (!type || type.getRank() != 2 || type.getDimSize(0) != 4)
      return;
    llvm::ArrayRef<int64_t> position = insert.getStaticPosition();
    if (position.size() != 1 || (position[0] != 1 && position[0] != 2))
      return;
    insert.setStaticPosition({3 - position[0]});
    ++swapped;
  });
  ASSERT_GT(swapped, 0) << "no mma.sync A fragment found";
}

TEST(GpuEmulationMutation, WrongFragmentOffsetIsCaught) {
  expectCaught({F::ITQ3S, true, 32, 256, 0, {16}, true}, 16,
               swapFragmentRegisters);
  expectCaught({F::ITQ3S, false, 32, 256, 0, {16}, true}, 16,
               swapFragmentRegisters);
}

TEST(GpuEmulationMutation, UnsignedDp4aIsCaught) {
  expectCaught({F::Q8, true, 64, 256}, 3, [](mlir::Operation *module) {
    int changed = 0;
    module->walk([&](mlir::NVVM::DotAccumulate4WayOp op) {
      op.setBType(mlir::NVVM::DotAccumulateType::UNSIGNED);
      ++changed;
    });
    ASSERT_GT(changed, 0) << "no dp4a found";
  });
}

/// TWLA's quantizer (Kronecker rotation, 4-bit per-row codes) in the GPU
/// mapping decodes to lib/Format's values, in both thread orders.
TEST(GpuEmulationQuantizeAct, TwlaEqualsLibFormat) {
  const int64_t k = 576, l = 32, r = 18, m = 3;
  fmt::KronRotation rotation = fmt::fixedKronRotation(k, 3);
  std::vector<float> x = gaussian(m * k, 19), rotated = x;
  fmt::kronRotateRows(rotation, rotated.data(), m, rotated.data());
  std::vector<float> expected(m * k);
  for (int64_t i = 0; i < m; ++i)
    fmt::quantizeTokenAsymmetric(&rotated[i * k], k, 4, 0.85f, &expected[i * k]);
  for (bool reverse : {false, true}) {
    GpuEmulation emulation;
    emulation.reverseThreads = reverse;
    std::string error;
    auto kernel = CpuQuantizeActKernel::compileGpuEmulation(
        {k, false, 0, l, r, 4, 0.85f}, emulation, error);
    ASSERT_TRUE(kernel) << error;
    std::vector<int8_t> values(m * k);
    std::vector<float> scales(m * k / 32), decoded(m * k);
    kernel->run(x.data(), m, values.data(), scales.data(), rotation.c.data(),
                rotation.b.data());
    for (int64_t i = 0; i < m * k; ++i)
      decoded[size_t(i)] = float(values[size_t(i)]) * scales[size_t(i / 32)];
    EXPECT_EQ(decoded, expected) << (reverse ? "reversed" : "in order");
  }
}

/// The activation quantizer's GPU mapping gives exactly the host reference,
/// in both thread orders.
TEST(GpuEmulationQuantizeAct, EqualsTheHostReference) {
  for (auto [k, rotate, seed] :
       {std::tuple{96, false, 0}, std::tuple{256, true, 0},
        std::tuple{1024, true, 7}}) {
    SCOPED_TRACE("K = " + std::to_string(k));
    for (bool reverse : {false, true}) {
      GpuEmulation emulation;
      emulation.reverseThreads = reverse;
      std::string error;
      auto kernel = CpuQuantizeActKernel::compileGpuEmulation(
          {k, rotate, uint64_t(seed)}, emulation, error);
      ASSERT_TRUE(kernel) << error;
      const int64_t m = 3;
      std::vector<float> x = gaussian(m * k, 17);
      std::fill(x.begin() + 32, x.begin() + 64, 0.0f); // a scale of 0
      std::vector<float> rotated = x;
      if (rotate)
        for (int64_t i = 0; i < m; ++i)
          fmt::rotateRow(&rotated[i * k], k, seed);
      std::vector<int8_t> expectedValues, values(m * k);
      std::vector<float> expectedScales, scales(m * k / 32);
      quantizeActivations(rotated, expectedValues, expectedScales);
      kernel->run(x.data(), m, values.data(), scales.data());
      EXPECT_EQ(scales, expectedScales);
      EXPECT_EQ(values, expectedValues);
    }
  }
}

} // namespace
