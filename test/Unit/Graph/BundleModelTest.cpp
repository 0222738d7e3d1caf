//===- BundleModelTest.cpp - compiled bundles against the reference -------===//
//
// A tiny llama-family model with widths that divide into 256-blocks is
// compiled to a bundle (itq3-compile's library), run by the runtime from
// the bundle's CPU code, and compared with the reference forward pass under
// the same simulated quantization: the same weight formats, the same
// embedding and head storage and, for the activation placement, the same
// int8 activations. A prompt of 16 tokens, then 8 decode steps through the
// KV cache. Some cases compile the CPU code from the GPU mapping, emulated
// (--itq3-emulate-gpu), so the GPU kernels of a whole model are checked too.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "itq3/Graph/ModelCompiler.h"
#include "itq3/Model/ActivationPlan.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/Importers.h"
#include "itq3/Model/Quantize.h"
#include "itq3/Runtime/Bundle.h"
#include "itq3/Runtime/CpuModel.h"
#include "itq3/Runtime/GpuModel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <unistd.h>

using namespace itq3;
using namespace itq3::model;
using namespace itq3::model::test;
using format::FormatKind;

namespace {

constexpr int64_t kContext = 32, kPrompt = 16, kDecodeSteps = 8;

struct Case {
  const char *name;
  FormatKind format;
  const char *rotation;
  uint64_t seed;
  bool qwen2; // QKV biases and an untied head
  /// "gpu-emulation": the bundle's CPU code is the GPU mapping, emulated.
  const char *cpuMapping = "cpu";
  /// The model's width (4 heads): 264 gives heads of 66 columns, which the
  /// CPU attention's 4-lane dots and 8-lane sums do not divide.
  int64_t dim = 256;
  /// The bundle's GPU code (sm_90) run by the runtime's CUDA backend on the
  /// stand-in driver (test/Unit/Runtime/FakeCuda.cpp), which executes the
  /// same kernels emulated on the CPU.
  bool fakeCuda = false;
};

std::ostream &operator<<(std::ostream &os, const Case &c) { return os << c.name; }

Model testModel(const Case &c) {
  // dim 256 (or the case's), hidden 768, 2 layers, 4 query heads over 2
  // KV heads.
  Model m = tinyModel(c.dim, 768, 2, 4, 2, 300, /*tied=*/!c.qwen2,
                      /*bias=*/c.qwen2);
  m.config.seqLen = kContext;
  m.config.ropeHalves = c.qwen2;
  return m;
}

std::vector<int32_t> promptTokens(int64_t vocab) {
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < kPrompt; ++i)
    ids.push_back(int32_t((i * 37 + 11) % vocab));
  return ids;
}

/// The reference under the simulated quantization a bundle of `c` holds.
std::unique_ptr<Forward> reference(Model &m, const Case &c) {
  format::CodecOptions options{c.seed};
  QuantReport report;
  EXPECT_TRUE(quantizeModel(m, c.format, options, 1, report));
  OutputStorage storage = outputStorage(m, FormatKind::Q8, FormatKind::Q8);
  EXPECT_TRUE(quantizeEmbeddingAndHead(m, storage, options, 1, report));
  std::unique_ptr<Forward> fwd;
  EXPECT_TRUE(Forward::create(m, kContext, 2, fwd));
  if (std::string(c.rotation) == "activation") {
    ActivationPlan plan;
    EXPECT_TRUE(activationPlanFor(report, options, plan));
    plan[Forward::kOutputHead] = ActivationQuant(); // q8 head, int8 activations
    EXPECT_TRUE(fwd->setActivationQuantization(plan));
  }
  return fwd;
}

/// max |a - b| / max |b| of each row of `vocab` logits, appended to `out`.
void rowDifferences(const std::vector<float> &a, const std::vector<float> &b,
                    int64_t vocab, std::vector<double> &out) {
  for (size_t row = 0; row * vocab < b.size(); ++row) {
    double diff = 0, scale = 0;
    for (size_t i = row * vocab; i < (row + 1) * vocab; ++i) {
      // A NaN or infinite logit is as far off as can be (std::max would
      // drop a NaN).
      double d = std::fabs(double(a[i]) - double(b[i]));
      diff = std::isfinite(d) ? std::max(diff, d) : HUGE_VAL;
      scale = std::max(scale, double(std::fabs(b[i])));
    }
    out.push_back(diff / scale);
  }
}

/// The bound every row meets in the float placement. With int8
/// activations, a value that lies within float rounding of a half-way
/// point between two int8 codes can round to either code in the compiled
/// code and in the reference (their sums run in different orders): such a
/// flip moves its row by up to about 1e-2 (for example one of the head's
/// 256 inputs), and a flip in a key or value moves the later rows a little
/// too. How many rows flip is chaotic in the order of the sums: for
/// itq3_s_activation, 3 to 13 of the 24 rows, depending only on how the
/// attention's dot products add their lanes. At least a third of the rows
/// still meet the float bound, every row the flip bound; a wrong rotation,
/// scale or layout misses both by far.
constexpr double kBound = 1e-3, kFlipBound = 2e-2;
/// The GPU's prefill tiles of the float placement multiply on tensor cores
/// in f16 (m16n8k16): both operands rounded to f16, 2^-11 relative each,
/// which the kernel tests bound at 2e-3 of a product; through a model's
/// layers and its cache a row moves by a few times that.
constexpr double kF16Bound = 5e-3;

/// Whether the GPU code can be compiled here: cubins need ptxas.
bool havePtxas() {
  const char *home = std::getenv("CUDA_HOME");
  std::string dir = home && *home ? home : "/usr/local/cuda";
  return access((dir + "/bin/ptxas").c_str(), X_OK) == 0;
}

/// ITQ3_REAL_CUDA=1 (scripts/gpu-check): the CUDA cases run on the
/// machine's GPU and driver, with code for ITQ3_GPU_CHIP (default sm_90).
bool realCuda() {
  const char *v = std::getenv("ITQ3_REAL_CUDA");
  return v && std::string(v) == "1";
}

std::string gpuChip() {
  const char *v = std::getenv("ITQ3_GPU_CHIP");
  return v && *v ? v : "sm_90";
}

/// Points the CUDA backend at the stand-in driver running `kernels`, for a
/// GPU of `arch` (e.g. "90"), unless the tests run on a real GPU.
void useFakeCuda(const std::string &kernels, const char *arch = "90") {
  if (realCuda()) {
    unsetenv("ITQ3_CUDA_DRIVER");
    return;
  }
  setenv("ITQ3_CUDA_DRIVER", ITQ3_FAKE_CUDA_DRIVER, 1);
  setenv("ITQ3_FAKE_CUDA_KERNELS", kernels.c_str(), 1);
  setenv("ITQ3_FAKE_CUDA_ARCH", arch, 1);
}

class BundleModel : public ::testing::TestWithParam<Case> {
protected:
  /// Compiles the case's model and opens it with the runtime.
  void SetUp() override {
    const Case &c = GetParam();
    if (c.fakeCuda && !havePtxas())
      GTEST_SKIP() << "no ptxas (CUDA toolkit): the GPU code of a bundle "
                      "cannot be compiled here";
    Model m = testModel(c);
    graph::CompileOptions o;
    o.format = c.format;
    o.rotation = c.rotation;
    o.signSeed = c.seed;
    o.context = kContext;
    o.threads = 1;
    o.cpuMapping = c.cpuMapping;
    // The GPU's attention in parts of 4 x M positions: the decode steps
    // have 5 and 6 parts.
    o.gpuAttentionSplit = 4;
    path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
           "/itq3-bundle-test-" + std::to_string(getpid()) + "-" + c.name;
    kernels = path + ".kernels.so";
    path += ".itq3";
    if (c.fakeCuda) {
      o.targets = {"cpu", gpuChip()};
      o.emulatedKernelsPath = kernels;
    }
    graph::CompileReport report;
    Status s = graph::compileModel(m, o, path, report);
    ASSERT_TRUE(s) << s.message();
    ASSERT_TRUE(s = rt::Bundle::open(path, bundle)) << s.message();
    ASSERT_TRUE(s = open(c.fakeCuda ? "cuda" : "cpu", true, compiled))
        << s.message();
  }
  void TearDown() override {
    std::remove(path.c_str());
    std::remove(kernels.c_str());
  }

  Status open(const char *device, bool graphs,
              std::unique_ptr<rt::BundleModel> &out) {
    if (std::string(device) == "cuda")
      useFakeCuda(kernels);
    rt::OpenOptions options;
    options.device = device;
    options.threads = 2;
    options.cudaGraphs = graphs;
    std::string notice;
    return rt::openBundleModel(*bundle, options, out, notice);
  }

  std::string path, kernels;
  std::unique_ptr<rt::Bundle> bundle;
  std::unique_ptr<rt::BundleModel> compiled;
};

TEST_P(BundleModel, PrefillAndDecodeMatchTheReferenceAndRefuseOverflow) {
  const Case &c = GetParam();
  Model m = testModel(c);
  std::unique_ptr<Forward> ref = reference(m, c);
  std::vector<int32_t> ids = promptTokens(m.config.vocabSize);

  std::vector<float> got, want, all;
  std::vector<double> rows;
  std::vector<int32_t> steps; // the decode steps' tokens
  Status status = compiled->run(ids.data(), kPrompt, 0, got, true);
  ASSERT_TRUE(status) << status.message();
  ASSERT_TRUE(ref->run(ids.data(), kPrompt, 0, want, true));
  ASSERT_EQ(got.size(), want.size());
  rowDifferences(got, want, m.config.vocabSize, rows);
  all = got;
  for (int64_t step = 0; step < kDecodeSteps; ++step) {
    auto last = want.end() - m.config.vocabSize;
    int32_t next = int32_t(std::max_element(last, want.end()) - last);
    int64_t pos = kPrompt + step;
    ASSERT_TRUE(status = compiled->run(&next, 1, pos, got, false))
        << status.message();
    ASSERT_TRUE(ref->run(&next, 1, pos, want, false));
    rowDifferences(got, want, m.config.vocabSize, rows);
    steps.push_back(next);
    all.insert(all.end(), got.begin(), got.end());
  }
  if (c.fakeCuda) {
    // Every decode step ran as one CUDA graph, instantiated once and
    // updated in place after; run without graphs, the same kernels in the
    // same order give the same logits, bit for bit.
    auto *gpu = dynamic_cast<rt::GpuModel *>(compiled.get());
    ASSERT_NE(gpu, nullptr);
    rt::GpuModel::Stats stats = gpu->stats();
    EXPECT_EQ(stats.graphSteps, uint64_t(kDecodeSteps));
    EXPECT_EQ(stats.graphInstantiations, 1u);
    EXPECT_EQ(stats.graphUpdates, uint64_t(kDecodeSteps - 1));
    std::unique_ptr<rt::BundleModel> eager;
    Status s = open("cuda", /*graphs=*/false, eager);
    ASSERT_TRUE(s) << s.message();
    std::vector<float> again, step;
    ASSERT_TRUE(eager->run(ids.data(), kPrompt, 0, again, true));
    for (int64_t i = 0; i < kDecodeSteps; ++i) {
      ASSERT_TRUE(eager->run(&steps[size_t(i)], 1, kPrompt + i, step, false));
      again.insert(again.end(), step.begin(), step.end());
    }
    EXPECT_EQ(again, all);
  }
  ASSERT_EQ(rows.size(), size_t(kPrompt + kDecodeSteps));
  bool int8 = std::string(c.rotation) == "activation" &&
              c.format != FormatKind::F16;
  size_t within = size_t(std::count_if(rows.begin(), rows.end(),
                                       [](double d) { return d <= kBound; }));
  double worst = *std::max_element(rows.begin(), rows.end());
  if (int8) {
    EXPECT_GE(within, rows.size() / 3) << "worst row " << worst;
    EXPECT_LE(worst, kFlipBound);
  } else {
    bool f16Tiles = std::string(c.cpuMapping) == "gpu-emulation" ||
                    c.fakeCuda;
    EXPECT_LE(worst, f16Tiles ? kF16Bound : kBound);
  }

  // The cache holds kContext positions: more is refused, never written.
  std::vector<float> logits;
  Status s = compiled->run(ids.data(), 4, kContext - 2, logits, false);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("context overflow"), std::string::npos)
      << s.message();
  int32_t bad = 300;
  s = compiled->run(&bad, 1, 0, logits, false);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("outside the vocabulary"), std::string::npos);
}

/// Which code the CUDA backend takes, and what it says when it takes none.
TEST(BundleDevice, PicksTheGpusCodeOrPtxAndFallsBackToTheCpu) {
  if (!havePtxas())
    GTEST_SKIP() << "no ptxas (CUDA toolkit): the GPU code of a bundle "
                    "cannot be compiled here";
  if (realCuda())
    GTEST_SKIP() << "the stand-in driver's architectures are not the GPU's";
  // Float activations (no int8 rounding flips between the mappings) and
  // prefill chunks of 8 rows: a prompt of 16 runs in two.
  Case c{"q8_device", FormatKind::Q8, "weight", 0, false};
  Model m = testModel(c);
  graph::CompileOptions o;
  o.format = c.format;
  o.rotation = c.rotation;
  o.prefillChunk = 8;
  o.context = kContext;
  o.threads = 1;
  o.targets = {"cpu", "sm_90"};
  std::string base = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR")
                                                       : "/tmp") +
                     "/itq3-device-test-" + std::to_string(getpid());
  std::string path = base + ".itq3";
  o.emulatedKernelsPath = base + ".kernels.so";
  graph::CompileReport report;
  Status s = graph::compileModel(m, o, path, report);
  ASSERT_TRUE(s) << s.message();
  std::unique_ptr<rt::Bundle> bundle;
  ASSERT_TRUE(s = rt::Bundle::open(path, bundle)) << s.message();
  auto open = [&](const char *device, const char *arch, std::string &notice,
                  std::unique_ptr<rt::BundleModel> &out) {
    useFakeCuda(o.emulatedKernelsPath, arch);
    rt::OpenOptions options;
    options.device = device;
    options.threads = 1;
    return rt::openBundleModel(*bundle, options, out, notice);
  };
  std::vector<int32_t> ids = promptTokens(m.config.vocabSize);
  std::string notice;

  // sm_90: its cubin. A newer GPU: the PTX, the same kernels.
  std::unique_ptr<rt::BundleModel> cubin, ptx;
  ASSERT_TRUE(s = open("cuda", "90", notice, cubin)) << s.message();
  EXPECT_NE(cubin->backend().find("sm_90, cubin"), std::string::npos)
      << cubin->backend();
  ASSERT_TRUE(s = open("auto", "100", notice, ptx)) << s.message();
  EXPECT_TRUE(notice.empty()) << notice;
  EXPECT_NE(ptx->backend().find("PTX of sm_90"), std::string::npos)
      << ptx->backend();
  std::vector<float> a, b;
  ASSERT_TRUE(s = cubin->run(ids.data(), kPrompt, 0, a, true)) << s.message();
  ASSERT_TRUE(s = ptx->run(ids.data(), kPrompt, 0, b, true)) << s.message();
  EXPECT_EQ(a, b);
  // Every row of both chunks as the CPU code computes it, within the f16
  // rounding of the GPU's prefill tiles.
  std::unique_ptr<rt::BundleModel> cpu;
  ASSERT_TRUE(s = open("cpu", "90", notice, cpu)) << s.message();
  std::vector<float> want;
  ASSERT_TRUE(s = cpu->run(ids.data(), kPrompt, 0, want, true)) << s.message();
  std::vector<double> rows;
  rowDifferences(a, want, m.config.vocabSize, rows);
  ASSERT_EQ(rows.size(), size_t(kPrompt));
  EXPECT_LE(*std::max_element(rows.begin(), rows.end()), kF16Bound);
  // Without every row's logits: the head runs on the last chunk's last row.
  std::unique_ptr<rt::BundleModel> fresh;
  ASSERT_TRUE(s = open("cuda", "90", notice, fresh)) << s.message();
  ASSERT_TRUE(s = fresh->run(ids.data(), kPrompt, 0, b, false)) << s.message();
  EXPECT_EQ(b, std::vector<float>(a.end() - m.config.vocabSize, a.end()));
  cubin.reset();
  ptx.reset();

  // A GPU of the same major version and a later minor takes the cubin.
  std::unique_ptr<rt::BundleModel> minor;
  ASSERT_TRUE(s = open("cuda", "93", notice, minor)) << s.message();
  EXPECT_NE(minor->backend().find("(sm_93, sm_90 cubin)"), std::string::npos)
      << minor->backend();
  minor.reset();

  // An older GPU: no code for it; auto runs the CPU code and says why.
  std::unique_ptr<rt::BundleModel> model;
  s = open("cuda", "80", notice, model);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("no code for this GPU (sm_80"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("it holds cpu, sm_90, ptx (sm_90)"),
            std::string::npos)
      << s.message();
  ASSERT_TRUE(s = open("auto", "80", notice, model)) << s.message();
  EXPECT_EQ(model->backend(), "cpu");
  EXPECT_NE(notice.find("not running on the GPU"), std::string::npos)
      << notice;

  // No driver at all.
  setenv("ITQ3_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  rt::OpenOptions options;
  ASSERT_TRUE(s = rt::openBundleModel(*bundle, options, model, notice))
      << s.message();
  EXPECT_EQ(model->backend(), "cpu");
  EXPECT_NE(notice.find("no CUDA driver"), std::string::npos) << notice;
  options.device = "cuda";
  ASSERT_FALSE(rt::openBundleModel(*bundle, options, model, notice));
  options.device = "tpu";
  s = rt::openBundleModel(*bundle, options, model, notice);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("auto, cpu or cuda"), std::string::npos);
  std::remove(path.c_str());
  std::remove(o.emulatedKernelsPath.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Formats, BundleModel,
    ::testing::Values(
        Case{"itq3_s_activation", FormatKind::ITQ3S, "activation", 0, false},
        Case{"itq3_s_activation_signs", FormatKind::ITQ3S, "activation", 7,
             false},
        Case{"itq3_s_weight", FormatKind::ITQ3S, "weight", 7, false},
        Case{"q4_activation", FormatKind::Q4, "activation", 0, false},
        Case{"q8_activation", FormatKind::Q8, "activation", 0, false},
        Case{"f16", FormatKind::F16, "weight", 0, false},
        Case{"qwen2_iq3_activation", FormatKind::IQ3, "activation", 0, true},
        Case{"qwen2_q8_weight", FormatKind::Q8, "weight", 0, true},
        // Widths 256 and 768 are multiples of 128: every linear is ptqtp.
        Case{"ptqtp_activation", FormatKind::PTQTP, "activation", 0, false},
        Case{"qwen2_ptqtp_weight", FormatKind::PTQTP, "weight", 0, true},
        // The GPU kernels of the whole model (dp4a decode tiles, mma.sync
        // prefill tiles, attention and the other model ops), emulated.
        Case{"itq3_s_activation_gpu_emulation", FormatKind::ITQ3S,
             "activation", 7, false, "gpu-emulation"},
        Case{"itq3_s_weight_gpu_emulation", FormatKind::ITQ3S, "weight", 7,
             false, "gpu-emulation"},
        Case{"qwen2_q4_activation_gpu_emulation", FormatKind::Q4,
             "activation", 0, true, "gpu-emulation"},
        Case{"f16_heads_of_66", FormatKind::F16, "weight", 0, true, "cpu",
             264},
        // The GPU's norms split a row over 256 workers: 264 columns give
        // some workers two.
        Case{"f16_heads_of_66_gpu_emulation", FormatKind::F16, "weight", 0,
             true, "gpu-emulation", 264},
        // The bundle's GPU code, run by the CUDA backend on the stand-in
        // driver.
        Case{"itq3_s_activation_cuda", FormatKind::ITQ3S, "activation", 7,
             false, "cpu", 256, true},
        Case{"itq3_s_weight_cuda", FormatKind::ITQ3S, "weight", 7, false,
             "cpu", 256, true},
        Case{"qwen2_q4_activation_cuda", FormatKind::Q4, "activation", 0,
             true, "cpu", 256, true}),
    [](const auto &info) { return std::string(info.param.name); });

} // namespace
