//===- AttentionKernelTest.cpp - the CPU's compiled attention -------------===//
//
// itq3.attention_into through the CPU pipeline (vector dots and register
// accumulators) against two references written here: the float arithmetic
// of lib/Model's Forward::attention in its order (a 4-lane dot summed
// (0 + 1) + (2 + 3) and then the tail, an f64 softmax denominator, each
// column summed over positions in order), which the compiled code must
// equal bit for bit, and the same attention in double precision.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/CpuFunction.h"
#include "itq3/Conversion/CpuObject.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <functional>
#include <sstream>

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

struct AttentionCase {
  int64_t heads, kvHeads, headDim;
};

std::ostream &operator<<(std::ostream &os, const AttentionCase &c) {
  return os << c.heads << "x" << c.kvHeads << "x" << c.headDim;
}

constexpr int64_t kContext = 48;

std::string attentionSource(const AttentionCase &c) {
  std::string q = std::to_string(c.heads * c.headDim);
  std::string kv = std::to_string(c.kvHeads * c.headDim);
  std::string rows = "memref<?x" + q + "xf32>";
  std::string appended = "memref<?x" + kv + "xf32>";
  std::string cache =
      "memref<" + std::to_string(kContext) + "x" + kv + "xf32>";
  std::ostringstream os;
  os << "func.func @attention(%q: " << rows << ", %k: " << appended
     << ", %v: " << appended << ", %kc: " << cache << ", %vc: " << cache
     << ", %pos: index, %out: " << rows
     << ") attributes {llvm.emit_c_interface} {\n"
     << "  itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out heads("
     << c.heads << ") kv_heads(" << c.kvHeads << ") head_dim(" << c.headDim
     << ") : " << rows << ", " << appended << ", " << appended << ", "
     << cache << ", " << cache << ", " << rows << "\n  return\n}\n";
  return os.str();
}

template <typename T>
StridedMemRefType<float, 2> matrix(T &data, int64_t rows, int64_t cols) {
  return {data.data(), data.data(), 0, {rows, cols}, {cols, 1}};
}

/// The dot of lib/Model/Matmul.cpp: four lanes, then the remaining columns.
float laneDot(const float *a, const float *b, int64_t n) {
  float lane[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; ++j)
      lane[j] += a[i + j] * b[i + j];
  float s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (; i < n; ++i)
    s += a[i] * b[i];
  return s;
}

/// Attention of `m` new rows at positions pos .. pos + m - 1 over caches
/// that already hold them, in T (float: Forward::attention's order).
template <typename T>
std::vector<float> reference(const AttentionCase &c, const std::vector<float> &q,
                             const std::vector<float> &kc,
                             const std::vector<float> &vc, int64_t m,
                             int64_t pos) {
  int64_t hd = c.headDim, qDim = c.heads * hd, kvDim = c.kvHeads * hd;
  std::vector<float> out(m * qDim);
  for (int64_t t = 0; t < m; ++t)
    for (int64_t h = 0; h < c.heads; ++h) {
      const float *qh = &q[t * qDim + h * hd];
      int64_t kvOff = h / (c.heads / c.kvHeads) * hd, count = pos + t + 1;
      std::vector<T> p(count);
      for (int64_t j = 0; j < count; ++j) {
        const float *kj = &kc[j * kvDim + kvOff];
        if constexpr (std::is_same_v<T, float>) {
          p[j] = laneDot(qh, kj, hd) * (1.0f / std::sqrt(float(hd)));
        } else {
          p[j] = 0;
          for (int64_t d = 0; d < hd; ++d)
            p[j] += T(qh[d]) * T(kj[d]);
          p[j] /= std::sqrt(T(hd));
        }
      }
      T max = *std::max_element(p.begin(), p.end());
      double total = 0;
      for (T &e : p)
        total += (e = std::exp(e - max));
      T inverse = T(1.0 / total);
      for (int64_t d = 0; d < hd; ++d) {
        T sum = 0;
        for (int64_t j = 0; j < count; ++j)
          sum += (p[j] * inverse) * T(vc[j * kvDim + kvOff + d]);
        out[t * qDim + h * hd + d] = float(sum);
      }
    }
  return out;
}

class AttentionKernelTest : public ::testing::TestWithParam<AttentionCase> {};

/// Runs `kernel` on the cases below: its output, the caches after it and
/// the inputs, per case, to `check`.
void runCases(const AttentionCase &c, const CpuFunction &kernel,
              const std::function<void(const std::vector<float> &out,
                                       const std::vector<float> &q,
                                       const std::vector<float> &kc,
                                       const std::vector<float> &vc,
                                       int64_t m, int64_t pos)> &check) {
  using Memref = StridedMemRefType<float, 2>;
  using Fn = void (*)(Memref *, Memref *, Memref *, Memref *, Memref *,
                      int64_t, Memref *);
  auto call = reinterpret_cast<Fn>(kernel.entry());

  int64_t qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
  // Decode at 37 positions (not a multiple of the 4 scored per step), and a
  // causal prefill of 6 rows after 3 cached positions.
  // Two rows at 39: with parts of 4 x 2 positions, the first row's last
  // part is empty.
  for (auto [m, pos] : {std::pair<int64_t, int64_t>{1, 37}, {6, 3}, {16, 0},
                        {1, 16}, {2, 39}}) {
    SCOPED_TRACE("M = " + std::to_string(m) + " at " + std::to_string(pos));
    std::vector<float> kc = gaussian(kContext * kvDim, 5);
    std::vector<float> vc = gaussian(kContext * kvDim, 6);
    std::vector<float> q = gaussian(m * qDim, 7);
    std::vector<float> k = gaussian(m * kvDim, 8), v = gaussian(m * kvDim, 9);
    std::vector<float> out(m * qDim, NAN);
    Memref qs = matrix(q, m, qDim), ks = matrix(k, m, kvDim),
           vs = matrix(v, m, kvDim), kcs = matrix(kc, kContext, kvDim),
           vcs = matrix(vc, kContext, kvDim), outs = matrix(out, m, qDim);
    call(&qs, &ks, &vs, &kcs, &vcs, pos, &outs);
    // The op appended the new rows at pos ..; the references read them there.
    for (int64_t t = 0; t < m; ++t)
      for (int64_t j = 0; j < kvDim; ++j) {
        ASSERT_EQ(kc[(pos + t) * kvDim + j], k[t * kvDim + j]);
        ASSERT_EQ(vc[(pos + t) * kvDim + j], v[t * kvDim + j]);
      }
    check(out, q, kc, vc, m, pos);
  }
}

TEST_P(AttentionKernelTest, EqualsTheReferenceOrder) {
  const AttentionCase &c = GetParam();
  CpuPipelineOptions options;
  options.targetFeatures = cpuFeatures("native");
  std::string error;
  auto kernel = CpuFunction::compile(attentionSource(c), "attention", options,
                                     error);
  ASSERT_TRUE(kernel) << error;
  runCases(c, *kernel, [&](const auto &out, const auto &q, const auto &kc,
                           const auto &vc, int64_t m, int64_t pos) {
    EXPECT_EQ(out, reference<float>(c, q, kc, vc, m, pos));
    EXPECT_LT(relativeError(out, reference<double>(c, q, kc, vc, m, pos)),
              1e-5);
  });
}

/// The GPU mapping's attention, emulated: one iteration per (token, head),
/// and split over parts of 4 x M and 16 x M positions (of which some are
/// empty for a call's early rows) combined by a second kernel.
TEST_P(AttentionKernelTest, GpuMappingSplitOverPositions) {
  const AttentionCase &c = GetParam();
  for (int64_t split : {0, 4, 16}) {
    SCOPED_TRACE("split " + std::to_string(split));
    PtxPipelineOptions options;
    options.attentionSplit = split;
    std::string error;
    auto kernel = CpuFunction::compileGpuEmulated(attentionSource(c),
                                                  "attention", options, error);
    ASSERT_TRUE(kernel) << error;
    runCases(c, *kernel, [&](const auto &out, const auto &q, const auto &kc,
                             const auto &vc, int64_t m, int64_t pos) {
      EXPECT_LT(relativeError(out, reference<double>(c, q, kc, vc, m, pos)),
                1e-5);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(
    Heads, AttentionKernelTest,
    // Grouped queries (Qwen2.5's 6 per KV head), heads of 128, 66 (a 2-column
    // tail after the 4-lane chunks, 2-lane sums) and 8 (stories260K).
    ::testing::Values(AttentionCase{12, 2, 128}, AttentionCase{4, 2, 66},
                      AttentionCase{8, 8, 8}, AttentionCase{4, 2, 64}),
    [](const ::testing::TestParamInfo<AttentionCase> &info) {
      std::ostringstream os;
      os << "h" << info.param.heads << "_kv" << info.param.kvHeads << "_d"
         << info.param.headDim;
      return os.str();
    });

} // namespace
