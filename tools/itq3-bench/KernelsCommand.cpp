//===- KernelsCommand.cpp - itq3-bench kernels ----------------------------===//
//
// Times the CPU kernels the compiler emits (JIT through --itq3-to-cpu-llvm)
// on Llama-3-8B projection shapes against a plain C++ loop over dense f32
// weights and, where the build found it, OpenBLAS (sgemv for one row,
// sgemm for more), and reports achieved bandwidth against a measured streaming-read
// bandwidth of this machine. Both sides split N over the same threads.
// On a GPU, the same kernels against cuBLAS fp16 (Runtime/Cublas.h), with
// achieved bandwidth against a device-to-device copy.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Measure.h"
#include "Synthetic.h"

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Conversion/CpuObject.h"
#include "itq3/Conversion/Pipelines.h"
#include "itq3/Conversion/CpuQuantizeActKernel.h"
#include "itq3/Conversion/GpuMatmulKernel.h"
#include "itq3/Runtime/Cublas.h"
#include "itq3/Runtime/GpuMatmul.h"
#include "itq3/Format/Codec.h"
#include "itq3/Format/FWHT.h"
#include "itq3/Format/KronRotation.h"
#include "itq3/Format/TwinQuant.h"

#ifdef ITQ3_BENCH_OPENBLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace fmt = itq3::format;
using itq3::bench::medianSeconds;
using itq3::bench::streamingReadGBs;
using mlir::itq3::CpuMatmulKernel;
using mlir::itq3::MatmulKernelSpec;

namespace {

struct Shape {
  int64_t n, k;
};

/// The rows each table's last column compares against.
constexpr const char *kF32Baseline = "f32 plain C++ loop (baseline)";
constexpr const char *kOpenBlasBaseline = "f32 OpenBLAS sgemv/sgemm (baseline)";
constexpr const char *kQuantizedMatmul = "itq3_s act-rot (int8 x)";
constexpr const char *kQuantizedMatmul64 = "itq3_s64 act-rot (int8 x)";
constexpr const char *kTwlaMatmul = "twla (int8 x)";
constexpr const char *kTwinLabel = "twinquant";

/// The compiled activation quantizers, each with the matmul it feeds.
struct Quantizer {
  const char *label, *feeds;
  /// Its spec for K columns.
  mlir::itq3::QuantizeActSpec (*spec)(int64_t k);
};
constexpr Quantizer kQuantizers[] = {
    {"act quantizer: FWHT-256 + int8 per 32 (1 thread)", kQuantizedMatmul,
     [](int64_t k) { return mlir::itq3::QuantizeActSpec{k, /*rotate=*/true}; }},
    {"act quantizer: FWHT-64 + int8 per 32 (1 thread)", kQuantizedMatmul64,
     [](int64_t k) {
       mlir::itq3::QuantizeActSpec spec{k, /*rotate=*/true};
       spec.rotationBlock = 64;
       return spec;
     }},
    {"act quantizer: twla C (x) B + 4-bit per row (1 thread)", kTwlaMatmul,
     [](int64_t k) {
       mlir::itq3::QuantizeActSpec spec{k};
       fmt::kronFactors(k, spec.kronL, spec.kronR);
       spec.bits = 4;
       spec.clip = 0.85f;
       return spec;
     }},
};

bool isQuantizer(const std::string &label) {
  for (const Quantizer &q : kQuantizers)
    if (label == q.label)
      return true;
  return false;
}
constexpr const char *kCublasBaseline =
    "GPU cuBLAS fp16 GemmEx, f32 accumulate (baseline)";

struct Options {
  std::vector<Shape> shapes = {{4096, 4096}, {14336, 4096}, {4096, 14336}};
  std::vector<int64_t> ms = {1, 16};
  int reps = 5;
  const char *json = nullptr;
  bool gpu = true;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string chip = "sm_90";
  /// Only the configs whose label contains this (all when empty), and no
  /// f32 baseline unless it matches too: for instruction counts of one kernel.
  std::string only;
  bool vectorDecode = true;
  /// Also time each config with the scalar decode, in the same run.
  bool ab = false;
  bool baseline = true;
  /// Measure the streaming-read bound (off for instruction counts).
  bool peak = true;
  /// The LLVM CPU the CPU kernels are compiled for (empty: this host).
  std::string cpu;
};

/// The baseline: y = x W^T over dense f32 weights, the plain loop, with the
/// rows of W split between `threads` like the compiled kernels do.
void denseProduct(const float *x, const float *w, float *y, int64_t m,
                  int64_t n, int64_t k, unsigned threads) {
  auto rows = [&](int64_t first, int64_t last) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = first; j < last; ++j) {
        float sum = 0;
        for (int64_t e = 0; e < k; ++e)
          sum += x[i * k + e] * w[j * k + e];
        y[i * n + j] = sum;
      }
  };
  std::vector<std::thread> pool;
  int64_t per = (n + threads - 1) / threads;
  for (int64_t first = per; first < n; first += per)
    pool.emplace_back(rows, first, std::min(n, first + per));
  rows(0, std::min(n, per));
  for (std::thread &t : pool)
    t.join();
}

#ifdef ITQ3_BENCH_OPENBLAS
/// y = x W^T over dense f32 weights by OpenBLAS on its own threads (set to
/// the same count): sgemv for one row, sgemm for more.
void openBlasProduct(const float *x, const float *w, float *y, int64_t m,
                     int64_t n, int64_t k) {
  if (m == 1)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w, k, x, 1, 0.0f, y,
                1);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k,
                w, k, 0.0f, y, n);
}

/// Which kernel OpenBLAS runs, and whether the environment chose it.
std::string describeOpenBlas() {
  std::string text = std::string(openblas_get_config()) + ", kernel " +
                     openblas_get_corename();
  if (const char *forced = std::getenv("OPENBLAS_CORETYPE"))
    text += " (forced by OPENBLAS_CORETYPE=" + std::string(forced) +
            ": unset it to time the native kernel)";
  return text;
}
#endif

/// Which int8 products the CPU kernels compile to for `cpu` (empty: this
/// host), as --itq3-to-cpu-llvm chooses them from its features.
std::string describeInt8Products(const std::string &cpu) {
  using mlir::itq3::Int8Products;
  Int8Products products = mlir::itq3::int8ProductsFor(
      mlir::itq3::cpuFeatures(cpu.empty() ? "native" : cpu));
  std::string target = "compiled for " + (cpu.empty() ? "this host" : cpu);
  switch (products) {
  case Int8Products::Vnni:
    return target + ": int8 products with vpdpbusd (AVX512-VNNI): 256-bit "
                    "below 4 activation rows, 512-bit panels from 4";
  case Int8Products::Avx2:
    return target + ": int8 products with vpmaddubsw + vpmaddwd (AVX2)";
  case Int8Products::Generic:
    break;
  }
  return target + ": int8 products in generic vector code";
}

struct Row {
  std::string kernel;
  Shape shape;
  int64_t m;
  double seconds, bytes;
};

/// Packed weights, int8 activations and f32 outputs that a kernel moves.
double movedBytes(double weightBytes, int64_t m, Shape s, bool int8) {
  double activations = int8 ? m * (s.k + s.k / 32 * 4.0) : m * s.k * 4.0;
  return weightBytes + activations + m * s.n * 4.0;
}

struct Config {
  const char *label;
  fmt::FormatKind format;
  bool int8;
};

constexpr Config kConfigs[] = {
    {"itq3_s weight-rot (f32 x)", fmt::FormatKind::ITQ3S, false},
    {kQuantizedMatmul, fmt::FormatKind::ITQ3S, true},
    {"itq3_s64 weight-rot (f32 x)", fmt::FormatKind::ITQ3S64, false},
    {kQuantizedMatmul64, fmt::FormatKind::ITQ3S64, true},
    {"iq3 (int8 x)", fmt::FormatKind::IQ3, true},
    {"q4 (int8 x)", fmt::FormatKind::Q4, true},
    {"q8 (int8 x)", fmt::FormatKind::Q8, true},
    {"ptqtp (int8 x)", fmt::FormatKind::PTQTP, true},
    {"ptqtp (f32 x)", fmt::FormatKind::PTQTP, false},
    {kTwlaMatmul, fmt::FormatKind::TWLA, true},
    {"twla (f32 x)", fmt::FormatKind::TWLA, false},
};

/// Inputs of one timed call: x as floats or int8 with per-32 scales.
struct Inputs {
  std::vector<float> x, scales, y;
  std::vector<int8_t> xq;
  Inputs(int64_t m, Shape s)
      : x(m * s.k, 0.5f), scales(m * s.k / 32, 0.01f), y(m * s.n),
        xq(m * s.k, 3) {}
};

/// Seconds of one kernel call on `in` for M = m, or a negative value on
/// failure (after printing why).
using TimedKernel = std::function<double(Inputs &in, int64_t m)>;
/// Compiles (and loads) the kernel of `spec` for `packed` weights; null on
/// failure, with `error` set.
using KernelMaker = std::function<TimedKernel(
    const MatmulKernelSpec &spec, const std::vector<uint8_t> &packed,
    std::string &error)>;

/// Rows of M from which the prefill kernel runs instead of the decode one.
constexpr int64_t kPrefillRows = 16;

/// Every config of kConfigs on one shape: encode, compile the decode kernel
/// and the prefill one (`prefill` adjusts its spec), time each M.
bool benchConfigs(const Options &opts, Shape s, const std::vector<float> &w,
                  const char *prefix, const KernelMaker &make,
                  const std::function<void(MatmulKernelSpec &)> &prefill,
                  std::vector<Row> &rows) {
  for (const Config &c : kConfigs) {
    if (!opts.only.empty() &&
        std::string(c.label).find(opts.only) == std::string::npos)
      continue;
    auto codec = fmt::createCodec(c.format);
    if (s.k % codec->blockSize()) {
      std::fprintf(stderr, "itq3-bench kernels: %s skipped: K = %lld is not a "
                   "multiple of its block %lld\n", c.label, (long long)s.k,
                   (long long)codec->blockSize());
      continue;
    }
    std::vector<uint8_t> packed(codec->matrixBytes(s.n, s.k));
    if (!codec->encodeRows(w.data(), s.n, s.k, packed.data()).ok())
      return false;
    // With --ab, each config also runs with the scalar decode (the code
    // before the vector decode), in the same run.
    std::vector<bool> modes = {opts.vectorDecode};
    if (opts.ab && opts.vectorDecode)
      modes.push_back(false);
    for (bool vectorDecode : modes) {
      MatmulKernelSpec spec{c.format, 0, c.int8 && codec->isRotated(), c.int8,
                            s.n, s.k};
      spec.threads = opts.threads;
      spec.vectorDecode = vectorDecode;
      spec.cpu = opts.cpu;
      std::string label = std::string(prefix) + c.label +
                          (modes.size() > 1 && !vectorDecode
                               ? " [scalar decode]"
                               : "");
      MatmulKernelSpec prefillSpec = spec;
      prefill(prefillSpec);
      // Compiled when first needed: decode, prefill or both.
      TimedKernel decode, wide;
      for (int64_t m : opts.ms) {
        bool isPrefill = m >= kPrefillRows;
        TimedKernel &kernel = isPrefill ? wide : decode;
        std::string error;
        if (!kernel && !(kernel = make(isPrefill ? prefillSpec : spec, packed,
                                       error))) {
          std::fprintf(stderr, "itq3-bench: %s\n", error.c_str());
          return false;
        }
        Inputs in(m, s);
        std::vector<double> times;
        for (int r = 0; r <= opts.reps; ++r) {
          double seconds = kernel(in, m);
          if (seconds < 0)
            return false;
          if (r > 0) // the first run is the warm-up
            times.push_back(seconds);
        }
        std::sort(times.begin(), times.end());
        rows.push_back({label, s, m, times[times.size() / 2],
                        movedBytes(packed.size(), m, s, c.int8)});
      }
    }
  }
  return true;
}

/// The compiled activation quantizers (x of K floats in; K int8 values and
/// K / 32 scales out), TWLA's with lib/Format's fixed Kronecker factors.
bool benchQuantizers(const Options &opts, Shape s, std::vector<Row> &rows) {
  for (const Quantizer &q : kQuantizers) {
    if (!opts.only.empty() &&
        std::string(q.label).find(opts.only) == std::string::npos)
      continue;
    mlir::itq3::QuantizeActSpec spec = q.spec(s.k);
    if (spec.rotate && s.k % spec.rotationBlock) {
      std::fprintf(stderr, "itq3-bench kernels: %s skipped: K = %lld is not a "
                   "multiple of its rotation\n", q.label, (long long)s.k);
      continue;
    }
    std::string error;
    auto quantizer = mlir::itq3::CpuQuantizeActKernel::compile(spec, error);
    if (!quantizer) {
      std::fprintf(stderr, "itq3-bench: %s\n", error.c_str());
      return false;
    }
    fmt::KronRotation rotation;
    if (spec.kronL)
      rotation = fmt::fixedKronRotation(s.k, 1);
    for (int64_t m : opts.ms) {
      Inputs in(m, s);
      double seconds = medianSeconds(opts.reps, [&] {
        quantizer->run(in.x.data(), m, in.xq.data(), in.scales.data(),
                       rotation.c.data(), rotation.b.data());
      });
      rows.push_back({q.label, s, m, seconds, m * s.k * (4.0 + 1.0 + 4.0 / 32)});
    }
  }
  return true;
}

/// The compiled CPU kernel of an unrotated N x K product, or null after
/// printing why.
std::unique_ptr<CpuMatmulKernel> compileOrSay(const Options &opts,
                                              fmt::FormatKind format,
                                              bool int8, int64_t n, int64_t k,
                                              int64_t twinRank = 0) {
  unsigned threads = opts.threads;
  MatmulKernelSpec spec;
  spec.cpu = opts.cpu;
  // TwinQuant's fused kernel recomputes t = x V^T per tile of N: one tile
  // per thread's slice of N computes it once per thread.
  if (twinRank)
    spec.tileN = ((n + threads - 1) / threads + 31) / 32 * 32;
  spec.format = format;
  spec.int8Activations = int8;
  spec.n = n;
  spec.k = k;
  spec.threads = threads;
  spec.twinRank = twinRank; // factors in q4, the spec's default
  std::string error;
  auto kernel = CpuMatmulKernel::compile(spec, error);
  if (!kernel)
    std::fprintf(stderr, "itq3-bench: %s\n", error.c_str());
  return kernel;
}

/// TwinQuant's fused kernel (itq3.twin_matmul_into) against the same work
/// as separate kernels: y = x R^T (q4), t = x V^T (q4, int8 x), y2 = t U^T
/// (q4 rows of U re-encoded along the rank, f32 t) and y += y2. Both read
/// the same bytes of weights. The rank is that of the quality rows' 5-bit
/// budget (0.5 bits per weight over the residual), rounded down to whole
/// blocks of 32 so that U re-encodes along it.
bool benchTwin(const Options &opts, Shape s, const std::vector<float> &w,
               std::vector<Row> &rows) {
  if (!opts.only.empty() &&
      std::string(kTwinLabel).find(opts.only) == std::string::npos)
    return true;
  fmt::TwinQuantParams p;
  p.factorBits = 4;
  p.rank = fmt::twinRankForBudget(s.n, s.k, p.factorBits, 0.5) / 32 * 32;
  if (p.rank == 0)
    return true;
  // Random factors: the kernels' speed does not depend on the values, and
  // the SVD of the encoder would dominate the run.
  fmt::TwinQuantLayout layout;
  if (!fmt::twinQuantLayout(s.n, s.k, p, layout).ok())
    return false;
  auto q4 = fmt::createCodec(fmt::FormatKind::Q4);
  auto gaussian = [](int64_t rows, int64_t cols, uint64_t seed) {
    return itq3::bench::makeMatrix(itq3::bench::MatrixKind::Gaussian, rows,
                                   cols, seed);
  };
  std::vector<float> u = gaussian(s.n, p.rank, 2), v = gaussian(p.rank, s.k, 3);
  std::vector<float> ut(u.size());
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t j = 0; j < p.rank; ++j)
      ut[j * s.n + i] = u[i * p.rank + j];
  std::vector<uint8_t> packed(layout.totalBytes()),
      uRows(q4->matrixBytes(s.n, p.rank));
  uint8_t *utBytes = packed.data() + layout.residualBytes;
  uint8_t *vBytes = utBytes + layout.uBytes;
  if (!q4->encodeRows(w.data(), s.n, s.k, packed.data()).ok() ||
      !q4->encodeRows(ut.data(), p.rank, s.n, utBytes).ok() ||
      !q4->encodeRows(v.data(), p.rank, s.k, vBytes).ok() ||
      !q4->encodeRows(u.data(), s.n, p.rank, uRows.data()).ok())
    return false;
  const uint8_t *residual = packed.data();
  mlir::itq3::TwinFactorBytes factors{utBytes, vBytes};

  auto fused = compileOrSay(opts, fmt::FormatKind::Q4, true, s.n, s.k, p.rank);
  auto rKernel = compileOrSay(opts, fmt::FormatKind::Q4, true, s.n, s.k);
  auto vKernel = compileOrSay(opts, fmt::FormatKind::Q4, true, p.rank, s.k);
  auto uKernel = compileOrSay(opts, fmt::FormatKind::Q4, false, s.n, p.rank);
  if (!fused || !rKernel || !vKernel || !uKernel)
    return false;
  std::string name = "twinquant q4 + rank " + std::to_string(p.rank) + " q4";
  std::string fusedLabel = name + ", fused (int8 x)";
  std::string unfusedLabel = name + ", 3 kernels + add (int8 x)";
  for (int64_t m : opts.ms) {
    Inputs in(m, s);
    std::vector<float> t(m * p.rank), y2(m * s.n);
    double bytes = movedBytes(layout.totalBytes(), m, s, true);
    rows.push_back({fusedLabel, s, m, medianSeconds(opts.reps, [&] {
                      fused->run(in.xq.data(), in.scales.data(), m, residual,
                                 in.y.data(), factors);
                    }),
                    bytes});
    rows.push_back({unfusedLabel, s, m, medianSeconds(opts.reps, [&] {
                      rKernel->run(in.xq.data(), in.scales.data(), m, residual,
                                   in.y.data());
                      vKernel->run(in.xq.data(), in.scales.data(), m,
                                   factors.v, t.data());
                      uKernel->run(t.data(), m, uRows.data(), y2.data());
                      for (size_t i = 0; i < y2.size(); ++i)
                        in.y[i] += y2[i];
                    }),
                    bytes});
  }
  return true;
}

/// The CPU kernels, timed on the wall clock, and the f32 loop baseline.
bool benchShape(const Options &opts, Shape s, std::vector<Row> &rows) {
  std::vector<float> w = itq3::bench::makeMatrix(
      itq3::bench::MatrixKind::Gaussian, s.n, s.k, 1);
  KernelMaker cpu = [](const MatmulKernelSpec &spec,
                       const std::vector<uint8_t> &packed,
                       std::string &error) -> TimedKernel {
    std::shared_ptr<CpuMatmulKernel> kernel =
        CpuMatmulKernel::compile(spec, error);
    if (!kernel)
      return nullptr;
    bool int8 = spec.int8Activations;
    return [kernel, &packed, int8](Inputs &in, int64_t m) {
      auto start = std::chrono::steady_clock::now();
      if (int8)
        kernel->run(in.xq.data(), in.scales.data(), m, packed.data(),
                    in.y.data());
      else
        kernel->run(in.x.data(), m, packed.data(), in.y.data());
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
          .count();
    };
  };
  // Prefill on the CPU: 64 activation rows per tile, so each decoded weight
  // tile serves more rows.
  auto prefill = [](MatmulKernelSpec &spec) { spec.tileM = 64; };
  if (!benchConfigs(opts, s, w, "", cpu, prefill, rows) ||
      !benchTwin(opts, s, w, rows) || !benchQuantizers(opts, s, rows))
    return false;
  for (int64_t m : opts.baseline ? opts.ms : std::vector<int64_t>{}) {
    Inputs in(m, s);
    double seconds = medianSeconds(opts.reps, [&] {
      denseProduct(in.x.data(), w.data(), in.y.data(), m, s.n, s.k,
                   opts.threads);
    });
    rows.push_back({kF32Baseline, s, m, seconds,
                    movedBytes(w.size() * 4.0, m, s, false)});
#ifdef ITQ3_BENCH_OPENBLAS
    seconds = medianSeconds(opts.reps, [&] {
      openBlasProduct(in.x.data(), w.data(), in.y.data(), m, s.n, s.k);
    });
    rows.push_back({kOpenBlasBaseline, s, m, seconds,
                    movedBytes(w.size() * 4.0, m, s, false)});
#endif
  }
  return true;
}

/// The same kernels on the GPU, timed with CUDA events, and the cuBLAS
/// baseline while `cublas` works (it is dropped, saying why, when it fails).
bool benchShapeOnGpu(const Options &opts, itq3::rt::CudaDriver &driver,
                     std::unique_ptr<itq3::rt::CublasGemm> &cublas, Shape s,
                     std::vector<Row> &rows) {
  std::vector<float> w = itq3::bench::makeMatrix(
      itq3::bench::MatrixKind::Gaussian, s.n, s.k, 1);
  KernelMaker gpu = [&](const MatmulKernelSpec &spec,
                        const std::vector<uint8_t> &packed,
                        std::string &error) -> TimedKernel {
    auto image = mlir::itq3::compileGpuMatmulKernel(spec, opts.chip, 256, error);
    std::shared_ptr<itq3::rt::GpuMatmul> matmul =
        image ? itq3::rt::GpuMatmul::create(driver, *image, packed.data(), error)
              : nullptr;
    if (!matmul)
      return nullptr;
    bool int8 = spec.int8Activations;
    return [matmul, int8](Inputs &in, int64_t m) {
      float ms = 0;
      std::string why;
      const void *x = int8 ? (const void *)in.xq.data() : in.x.data();
      if (!matmul->run(x, in.scales.data(), m, in.y.data(), ms, why)) {
        std::fprintf(stderr, "itq3-bench: %s\n", why.c_str());
        return -1.0;
      }
      return ms * 1e-3;
    };
  };
  // Prefill on the GPU: the mma.sync kernels of 16 x 16 tiles.
  auto prefill = [](MatmulKernelSpec &spec) {
    spec.tileM = spec.tileN = 16;
    spec.mma = true;
  };
  if (!benchConfigs(opts, s, w, "GPU ", gpu, prefill, rows))
    return false;
  for (int64_t m : opts.ms) {
    double seconds = 0;
    std::string error;
    if (cublas &&
        !cublas->timeHalfGemm(m, s.n, s.k, opts.reps, seconds, error)) {
      std::printf("No cuBLAS baseline from here on: %s.\n", error.c_str());
      cublas.reset();
    }
    if (cublas) // fp16 weights, activations and output
      rows.push_back({kCublasBaseline, s, m, seconds,
                      2.0 * (s.n * s.k + m * s.k + m * s.n)});
  }
  return true;
}

std::vector<int64_t> parseList(const char *text) {
  std::vector<int64_t> values;
  for (const char *p = text; *p;) {
    values.push_back(std::strtoll(p, const_cast<char **>(&p), 10));
    if (*p == ',')
      ++p;
  }
  return values;
}

bool parseOptions(int argc, char **argv, Options &opts) {
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char * { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--m"))
      opts.ms = parseList(next());
    else if (!std::strcmp(argv[i], "--reps"))
      opts.reps = std::max(1, std::atoi(next()));
    else if (!std::strcmp(argv[i], "--json"))
      opts.json = next();
    else if (!std::strcmp(argv[i], "--threads"))
      opts.threads = unsigned(std::max(1, std::atoi(next())));
    else if (!std::strcmp(argv[i], "--cpu-only"))
      opts.gpu = false;
    else if (!std::strcmp(argv[i], "--chip"))
      opts.chip = next();
    else if (!std::strcmp(argv[i], "--quick"))
      opts.shapes = {{1024, 1024}};
    else if (!std::strcmp(argv[i], "--shape")) {
      // NxK
      const char *text = next();
      char *rest = nullptr;
      Shape s{std::strtoll(text, &rest, 10), 0};
      if (*rest == 'x')
        s.k = std::strtoll(rest + 1, nullptr, 10);
      if (s.n <= 0 || s.k <= 0) {
        std::fprintf(stderr, "itq3-bench kernels: --shape takes NxK\n");
        return false;
      }
      opts.shapes = {s};
    } else if (!std::strcmp(argv[i], "--only")) {
      opts.only = next();
      opts.baseline = opts.only.empty();
    } else if (!std::strcmp(argv[i], "--scalar-decode"))
      opts.vectorDecode = false;
    else if (!std::strcmp(argv[i], "--ab"))
      opts.ab = true;
    else if (!std::strcmp(argv[i], "--no-peak"))
      opts.peak = false;
    else if (!std::strcmp(argv[i], "--cpu"))
      opts.cpu = next();
    else {
      std::fprintf(stderr, "itq3-bench kernels: unknown option '%s'\n", argv[i]);
      return false;
    }
  }
  for (int64_t m : opts.ms)
    if (m <= 0) {
      std::fprintf(stderr, "itq3-bench kernels: --m takes positive sizes\n");
      return false;
    }
  return !opts.ms.empty();
}

/// A baseline row's name and its column's heading.
struct Baseline {
  const char *kernel, *heading;
};

/// The table, with one column per baseline: the speedup over its row of the
/// same shape and M; and the rows as JSON if `json`.
void print(const std::vector<Row> &rows, double peak,
           const std::vector<Baseline> &baselines, const char *json) {
  std::printf("| kernel | N x K | M | median ms | GB/s | of peak |");
  for (const Baseline &b : baselines)
    std::printf(" vs %s |", b.heading);
  std::printf("\n|---|---|---|---|---|---|");
  for (size_t i = 0; i < baselines.size(); ++i)
    std::printf("---|");
  std::printf("\n");
  for (const Row &r : rows) {
    double gbs = r.bytes / r.seconds / 1e9;
    std::printf("| %s | %lldx%lld | %lld | %.3f | %.2f | %.0f%% |",
                r.kernel.c_str(), (long long)r.shape.n, (long long)r.shape.k,
                (long long)r.m, r.seconds * 1e3, gbs, 100 * gbs / peak);
    for (const Baseline &baseline : baselines) {
      // The quantizer is not a matmul: its share is printed below instead.
      if (isQuantizer(r.kernel)) {
        std::printf(" n/a |");
        continue;
      }
      double seconds = 0;
      for (const Row &b : rows)
        if (b.kernel == baseline.kernel && b.shape.n == r.shape.n &&
            b.shape.k == r.shape.k && b.m == r.m)
          seconds = b.seconds;
      std::printf(" %s |",
                  seconds > 0
                      ? (std::to_string(seconds / r.seconds).substr(0, 5) + "x")
                            .c_str()
                      : "n/a");
    }
    std::printf("\n");
  }
  if (!json)
    return;
  FILE *out = std::fopen(json, "w");
  if (!out) {
    std::fprintf(stderr, "itq3-bench: cannot write %s\n", json);
    return;
  }
  std::fprintf(out, "{\"stream_peak_gbs\": %.3f, \"rows\": [", peak);
  for (size_t i = 0; i < rows.size(); ++i)
    std::fprintf(out,
                 "%s\n {\"kernel\": \"%s\", \"n\": %lld, \"k\": %lld, "
                 "\"m\": %lld, \"seconds\": %.6g, \"bytes\": %.0f}",
                 i ? "," : "", rows[i].kernel.c_str(),
                 (long long)rows[i].shape.n, (long long)rows[i].shape.k,
                 (long long)rows[i].m, rows[i].seconds, rows[i].bytes);
  std::fprintf(out, "\n]}\n");
  std::fclose(out);
}

/// Each quantizer's time against the matmul it feeds, per shape and M.
void printQuantizerShare(const std::vector<Row> &rows) {
  for (const Quantizer &quantizer : kQuantizers)
    for (const Row &q : rows) {
      if (q.kernel != quantizer.label)
        continue;
      for (const Row &r : rows)
        if (r.kernel == quantizer.feeds && r.shape.n == q.shape.n &&
            r.shape.k == q.shape.k && r.m == q.m)
          std::printf("\nActivation quantizer, %lldx%lld, M = %lld: %.1f%% of "
                      "the %s matmul it feeds",
                      (long long)q.shape.n, (long long)q.shape.k,
                      (long long)q.m, 100 * q.seconds / r.seconds, r.kernel.c_str());
    }
  std::printf("\n");
}

} // namespace

/// The GPU table, or a line saying why there is none.
void runOnGpu(const Options &opts) {
  std::string why;
  auto driver = opts.gpu ? itq3::rt::CudaDriver::open(why) : nullptr;
  if (!driver) {
    std::printf("\nNo GPU table: %s.\n", opts.gpu ? why.c_str() : "--cpu-only");
    return;
  }
  double peak = 0;
  if (!driver->copyBandwidth(size_t(1) << 30, peak, why)) {
    std::fprintf(stderr, "itq3-bench: %s\n", why.c_str());
    return;
  }
  std::printf("\nGPU kernels on %s (%s), 256 threads per block, dp4a "
              "kernels for M < 16 and mma.sync kernels (16 x 16 tiles) from "
              "M = 16; peak = "
              "device-to-device copy of 1 GiB, %.0f GB/s; baseline = cuBLAS "
              "GemmEx, fp16 in and out, f32 accumulate\n\n",
              driver->deviceName().c_str(), opts.chip.c_str(), peak);
  auto cublas = itq3::rt::CublasGemm::open(*driver, why);
  if (!cublas)
    std::printf("No cuBLAS baseline: %s.\n\n", why.c_str());
  std::vector<Row> rows;
  for (Shape s : opts.shapes)
    if (!benchShapeOnGpu(opts, *driver, cublas, s, rows))
      return;
  print(rows, peak, {{kCublasBaseline, "cuBLAS fp16"}}, nullptr);
}

int itq3::bench::runKernels(int argc, char **argv) {
  Options opts;
  if (!parseOptions(argc, argv, opts))
    return 2;
  double peak = opts.peak ? streamingReadGBs(opts.threads) : 1.0;
  std::printf("CPU kernels and baselines on %u threads, kernels with tiles of "
              "8 activation rows for M < 16 and 64 from M = 16; peak = %u "
              "threads summing 512 MiB, %.2f GB/s\n",
              opts.threads, opts.threads, peak);
  std::printf("%s\n", describeInt8Products(opts.cpu).c_str());
  std::vector<Baseline> baselines = {{kF32Baseline, "f32 loop"}};
#ifdef ITQ3_BENCH_OPENBLAS
  openblas_set_num_threads(int(opts.threads));
  std::printf("%s\n", describeOpenBlas().c_str());
  baselines.push_back({kOpenBlasBaseline, "OpenBLAS"});
#else
  std::printf("No OpenBLAS baseline: this itq3-bench was built without it "
              "(scripts/setup installs libopenblas-dev)\n");
#endif
  std::printf("\n");
  std::vector<Row> rows;
  for (Shape s : opts.shapes)
    if (!benchShape(opts, s, rows))
      return 1;
  print(rows, peak, baselines, opts.json);
  printQuantizerShare(rows);
  runOnGpu(opts);
  return 0;
}
