//===- CpuMatmulKernelTest.cpp - compiled CPU kernels vs lib/Format -------===//
//
// Each case compiles the itq3.matmul_into kernel of one (format, rotation
// placement, N, K) through --itq3-to-cpu-llvm, runs it on several M, and
// compares with a plain float reference built from lib/Format's decoder.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Conversion/CpuObject.h"
#include "itq3/Conversion/Pipelines.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

class CpuMatmulKernelTest : public ::testing::TestWithParam<Case> {};

/// Whether this host runs code compiled for `cpu` (empty: this host): it
/// has every vector extension that cpu's code may use.
bool hostRuns(const std::string &cpu) {
  if (cpu.empty())
    return true;
  std::string host = mlir::itq3::cpuFeatures("native"),
              target = mlir::itq3::cpuFeatures(cpu);
  for (const char *feature : {"avx", "avx2", "fma", "f16c", "bmi2", "avx512f",
                              "avx512bw", "avx512vl", "avx512vnni"})
    if (mlir::itq3::enablesFeature(target, feature) &&
        !mlir::itq3::enablesFeature(host, feature))
      return false;
  return true;
}

TEST_P(CpuMatmulKernelTest, MatchesFloatReference) {
  const Case &c = GetParam();
  if (!hostRuns(c.cpu))
    GTEST_SKIP() << "this host cannot run code for " << c.cpu;
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
  // K not a multiple of 256: chunks of the largest multiple of 32 that
  // divides K (K = 352 = 11 x 32: one group per chunk; 96: three; 576: six).
  for (F format : {F::Q4, F::Q8})
    for (bool int8 : {false, true})
      for (int64_t k : {352, 96, 576})
        cases.push_back({format, int8, 100, k});
#if defined(__x86_64__)
  // The vector code compiled for a baseline x86-64 (SSE2, no AVX2): the
  // 32-wide vectors and the gather are split or scalarized by LLVM.
  for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8})
    for (bool int8 : {false, true}) {
      Case c{format, int8, 100, 512};
      c.cpu = "x86-64";
      cases.push_back(c);
    }
  // Generic int8 products, chunks of one group (K = 352).
  for (F format : {F::Q4, F::Q8}) {
    Case c{format, true, 100, 352};
    c.cpu = "x86-64";
    cases.push_back(c);
  }
  // The AVX2 int8 products (vpsignb, vpmaddubsw, vpmaddwd) on a CPU
  // without AVX512-VNNI, whatever this host has (where it has VNNI, the
  // other cases run vpdpbusd).
  for (F format : {F::ITQ3S, F::IQ3, F::Q4, F::Q8, F::PTQTP, F::TWLA}) {
    Case c{format, true, 100, format == F::TWLA ? 576 : 512, 0, {1, 3, 8}};
    c.cpu = "haswell";
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
  // tiles in M (40 = 16 + 16 + 8) and N (100), K split into 32s (q4, 352).
  std::vector<int64_t> mmaRows = {1, 16, 40};
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S, int8, 100, 512, /*seed=*/5, mmaRows, true});
    cases.push_back({F::ITQ3S, int8, 256, 1024, 0, mmaRows, true});
    cases.push_back({F::Q4, int8, 100, 352, 0, mmaRows, true});
  }
  cases.push_back({F::Q8, true, 768, 256, 0, mmaRows, true});
  // The ternary formats (no rotation), ptqtp in blocks of 128 and twla in
  // groups of 64: K = 256 and 512 decode in chunks of 256, K = 384 (ptqtp)
  // and 576 (twla, SmolLM2's width) in chunks of one block; odd N (edge
  // tiles); the vector decode, the scalar one (the GPU's), the 16x8 blocks,
  // and the baseline x86-64 vector code.
  for (auto [format, oddK] : {std::pair{F::PTQTP, 384}, std::pair{F::TWLA, 576}})
    for (bool int8 : {false, true}) {
      cases.push_back({format, int8, 256, 256});
      cases.push_back({format, int8, 99, oddK});
      cases.push_back({format, int8, 37, 1536, 0, {1, 5}});
      Case scalar{format, int8, 99, oddK};
      scalar.scalarDecode = true;
      cases.push_back(scalar);
      cases.push_back({format, int8, 100, oddK, 0, mmaRows, true});
#if defined(__x86_64__)
      Case baseline{format, int8, 99, 512};
      baseline.cpu = "x86-64";
      cases.push_back(baseline);
#endif
    }
  // Prefill tiles of 64 activation rows, partly filled (40) and full (64,
  // 130 = 64 + 64 + 2): the int8 tile's per-row accumulators must cover
  // every row of the tile, not 32.
  for (F format : {F::ITQ3S, F::Q4, F::Q8, F::PTQTP, F::TWLA})
    for (bool int8 : {false, true}) {
      Case c{format, int8, 100, 512, 0, {40, 64, 130}};
      c.tileM = 64;
      cases.push_back(c);
    }
  // itq3_s64: FWHT-64 in 29-byte blocks, chunks of one block. SmolLM2's
  // K = 576 and a multiple of 256, odd N, a sign seed, both placements; the
  // vector decode (2 scales per block), the scalar one, the 16x8 blocks,
  // 64-row tiles, AVX2 and baseline x86-64 code.
  for (bool int8 : {false, true}) {
    cases.push_back({F::ITQ3S64, int8, 99, 576, /*seed=*/3, {1, 3, 8}});
    cases.push_back({F::ITQ3S64, int8, 256, 512});
    Case scalar{F::ITQ3S64, int8, 99, 576, /*seed=*/3};
    scalar.scalarDecode = true;
    cases.push_back(scalar);
    cases.push_back({F::ITQ3S64, int8, 100, 576, /*seed=*/3, mmaRows, true});
    Case prefill{F::ITQ3S64, int8, 100, 576, 0, {40, 64, 130}};
    prefill.tileM = 64;
    cases.push_back(prefill);
#if defined(__x86_64__)
    for (const char *cpu : {"haswell", "x86-64"}) {
      Case c{F::ITQ3S64, int8, 100, 576, /*seed=*/3, {1, 3}};
      c.cpu = cpu;
      cases.push_back(c);
    }
#endif
  }
  // 256 x 3 tiles, each with a 32 KiB stage: more than a default 8 MiB stack
  // unless every tile releases its stage.
  cases.push_back({F::ITQ3S, false, 8192, 256, 0, {24}});
  // 512 tiles of the int8 panels (from 4 rows with VNNI) whose stages (about
  // 26 KiB) are allocated in a branch of the tile: released all the same.
  cases.push_back({F::Q8, true, 16384, 1024, 0, {8}});
#if defined(__x86_64__)
  // AVX512-VNNI without VBMI (Cascade Lake): panels and register blocking
  // with the gather of grid entries instead of the byte permutes.
  for (F format : {F::ITQ3S, F::IQ3}) {
    Case c{format, true, 100, 512, 0, {1, 3, 8}};
    c.cpu = "cascadelake";
    cases.push_back(c);
  }
  // 64-row tiles on a CPU without VNNI: register blocking, no panels.
  for (F format : {F::ITQ3S, F::Q4}) {
    Case c{format, true, 100, 512, 0, {40, 130}};
    c.tileM = 64;
    c.cpu = "haswell";
    cases.push_back(c);
  }
#endif
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuMatmulKernelTest,
                         ::testing::ValuesIn(allCases()), caseName);

/// The relative error of an int8 kernel on M rows against the float
/// product of the same quantized activations and the decoded weights.
double int8Error(const Case &c, const CpuMatmulKernel &kernel, int64_t m) {
  auto codec = fmt::createCodec(c.format, fmt::CodecOptions{c.seed});
  std::vector<uint8_t> packed;
  std::vector<float> decoded;
  encodeTestWeights(*codec, c.n, c.k, packed, decoded);
  Int8Reference r =
      int8Reference(c, gaussian(m * c.k, 3), storedWeights(c, decoded), m);
  std::vector<float> y(m * c.n);
  kernel.run(r.a.q.data(), r.a.scales.data(), m, packed.data(), y.data());
  return relativeError(y, r.product);
}

using Mutation = std::function<int(mlir::Operation *)>;

/// The int8 kernel of `c` is within 1e-5 of the reference on `m` rows, and
/// with `mutate` applied to its lowered module (which must change at least
/// one op) it is not. With VNNI, 3 rows run the register-blocked tile, 4
/// and more the panels.
void expectCaught(const Case &c, const Mutation &mutate, int64_t m = 3) {
  std::string error;
  auto intact = CpuMatmulKernel::compile(c.spec(), error);
  ASSERT_TRUE(intact) << error;
  ASSERT_LT(int8Error(c, *intact, m), 1e-5);
  mlir::itq3::MatmulKernelSpec spec = c.spec();
  int changed = 0;
  spec.mutate = [&](mlir::Operation *module) { changed = mutate(module); };
  auto broken = CpuMatmulKernel::compile(spec, error);
  ASSERT_TRUE(broken) << error;
  ASSERT_GT(changed, 0) << "the mutation found nothing to change";
  EXPECT_GT(int8Error(c, *broken, m), 1e-5) << "mutation not caught";
}

/// vpsignb(x, w) instead of vpsignb(w, x): the weights' signs are lost.
int swapSignOperands(mlir::Operation *module) {
  int changed = 0;
  module->walk([&](mlir::LLVM::CallIntrinsicOp call) {
    if (call.getIntrin() != "llvm.x86.avx2.psign.b")
      return;
    mlir::Value w = call.getOperand(0), x = call.getOperand(1);
    call->setOperands({x, w});
    ++changed;
  });
  return changed;
}

/// The generic product's weight codes zero- instead of sign-extended.
int zeroExtendCodes(mlir::Operation *module) {
  llvm::SmallVector<mlir::LLVM::SExtOp> victims;
  module->walk([&](mlir::LLVM::SExtOp ext) {
    auto type = mlir::dyn_cast<mlir::VectorType>(ext.getArg().getType());
    if (type && type.getNumElements() == 32 &&
        type.getElementType().isInteger(8))
      victims.push_back(ext);
  });
  for (mlir::LLVM::SExtOp ext : victims) {
    mlir::OpBuilder b(ext);
    ext.replaceAllUsesWith(mlir::LLVM::ZExtOp::create(
        b, ext.getLoc(), ext.getType(), ext.getArg()).getResult());
    ext.erase();
  }
  return int(victims.size());
}

/// The last level of the per-group sums' tree with its halves swapped:
/// groups 0..3 meet the scales of groups 4..7 and back.
int swapGroupScales(mlir::Operation *module) {
  int changed = 0;
  module->walk([&](mlir::LLVM::ShuffleVectorOp shuffle) {
    llvm::ArrayRef<int32_t> mask = shuffle.getMask();
    llvm::SmallVector<int32_t> low{0, 1, 2, 3, 8, 9, 10, 11},
        high{4, 5, 6, 7, 12, 13, 14, 15};
    if (mask != llvm::ArrayRef<int32_t>(low) &&
        mask != llvm::ArrayRef<int32_t>(high))
      return;
    llvm::SmallVector<int32_t> swapped(mask.drop_front(4));
    swapped.append(mask.begin(), mask.begin() + 4);
    shuffle.setMask(swapped);
    ++changed;
  });
  return changed;
}

TEST(CpuMatmulKernelMutation, WrongSignInAvx2ProductIsCaught) {
  if (!hostRuns("haswell"))
    GTEST_SKIP() << "this host has no AVX2";
  for (F format : {F::Q8, F::ITQ3S}) {
    Case c{format, true, 100, 512};
    c.cpu = "haswell";
    expectCaught(c, swapSignOperands);
  }
}

/// vpdpbusd(acc, w, x + 128) instead of vpdpbusd(acc, x + 128, w): the
/// roles of the unsigned and the signed bytes swapped.
int swapVnniOperands(mlir::Operation *module) {
  int changed = 0;
  module->walk([&](mlir::LLVM::CallIntrinsicOp call) {
    if (!call.getIntrin().starts_with("llvm.x86.avx512.vpdpbusd."))
      return;
    mlir::Value acc = call.getOperand(0), u = call.getOperand(1),
                s = call.getOperand(2);
    call->setOperands({acc, s, u});
    ++changed;
  });
  return changed;
}

TEST(CpuMatmulKernelMutation, WrongOperandsInVnniProductAreCaught) {
  if (mlir::itq3::int8ProductsFor(mlir::itq3::cpuFeatures("native")) !=
      mlir::itq3::Int8Products::Vnni)
    GTEST_SKIP() << "this host has no AVX512-VNNI";
  // q4's nibbles are the unsigned operand and x the signed one.
  for (F format : {F::Q8, F::Q4, F::ITQ3S, F::TWLA})
    expectCaught({format, true, 100, format == F::TWLA ? 576 : 512},
                 swapVnniOperands);
  // The panels (from 4 rows): their products and the weights' biases.
  for (int64_t m : {4, 40}) {
    Case panels{F::Q4, true, 100, 512};
    panels.tileM = 64;
    expectCaught(panels, swapVnniOperands, m);
  }
}

/// vpermi2b(b, idx, a) instead of vpermi2b(a, idx, b): the two halves of
/// each 128-entry segment of the grid swapped.
int swapGridTableHalves(mlir::Operation *module) {
  int changed = 0;
  module->walk([&](mlir::LLVM::CallIntrinsicOp call) {
    if (call.getIntrin() != "llvm.x86.avx512.vpermi2var.qi.512")
      return;
    call->setOperands({call.getOperand(2), call.getOperand(1),
                       call.getOperand(0)});
    ++changed;
  });
  return changed;
}

TEST(CpuMatmulKernelMutation, WrongGridLookupInBlockDecodeIsCaught) {
  std::string host = mlir::itq3::cpuFeatures("native");
  if (!mlir::itq3::enablesFeature(host, "avx512vbmi"))
    GTEST_SKIP() << "this host has no AVX512-VBMI";
  // itq3_s64 at K = 576: chunks of three 64-blocks decoded together.
  for (F format : {F::ITQ3S, F::IQ3, F::ITQ3S64}) {
    Case c{format, true, 100, format == F::ITQ3S64 ? 576 : 512};
    expectCaught(c, swapGridTableHalves);    // register blocking
    expectCaught(c, swapGridTableHalves, 8); // panels
  }
}

#if defined(__x86_64__)
TEST(CpuMatmulKernelMutation, WrongSignInGenericProductIsCaught) {
  Case c{F::Q4, true, 100, 512};
  c.cpu = "x86-64";
  expectCaught(c, zeroExtendCodes);
}
#endif

TEST(CpuMatmulKernelMutation, WrongGroupScaleIsCaught) {
  expectCaught({F::Q8, true, 100, 512}, swapGroupScales);
  expectCaught({F::IQ3, true, 100, 512}, swapGroupScales);
#if defined(__x86_64__)
  Case generic{F::ITQ3S, true, 100, 512};
  generic.cpu = "x86-64";
  expectCaught(generic, swapGroupScales);
#endif
}

} // namespace
