//===- CpuMatmulKernel.cpp - compile and call a CPU matmul kernel ---------===//
#include "itq3/Conversion/CpuMatmulKernel.h"

#include "KernelModule.h"

#include "itq3/Conversion/CpuObject.h"
#include "itq3/Conversion/Pipelines.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"

#include <algorithm>
#include <functional>
#include <sstream>
#include <thread>
#include <vector>

using namespace mlir;
using namespace mlir::itq3;
namespace fmt = ::itq3::format;

namespace {

const char *rotationOf(const MatmulKernelSpec &spec) {
  if (!fmt::createCodec(spec.format)->isRotated())
    return "none";
  return spec.rotateActivations ? "activation" : "weight";
}

template <typename T>
StridedMemRefType<T, 2> matrix(const T *data, int64_t rows, int64_t cols) {
  T *ptr = const_cast<T *>(data);
  return {ptr, ptr, 0, {rows, cols}, {cols, 1}};
}

} // namespace

/// Bytes of a row of U^T (N values) and of V (K values) of a twin spec.
static int64_t factorRowBytes(const MatmulKernelSpec &spec, int64_t values) {
  return fmt::createCodec(spec.factorFormat)->rowBytes(values);
}

std::string mlir::itq3::matmulKernelSource(const MatmulKernelSpec &spec) {
  auto codec = fmt::createCodec(spec.format);
  std::ostringstream os;
  std::string xType = "memref<?x" + std::to_string(spec.k) +
                      (spec.int8Activations ? "xi8>" : "xf32>");
  // Any slice of rows of W (and the matching columns of y, and of U^T for a
  // twin) is a valid call, which is how callers split N between threads.
  std::string wType =
      "memref<?x" + std::to_string(codec->rowBytes(spec.k)) + "xi8>";
  std::string yType = "memref<?x?xf32, strided<[?, 1], offset: ?>>";
  std::string sType = "memref<?x" + std::to_string(spec.k / 32) + "xf32>";
  std::string format(fmt::formatName(spec.format));
  if (spec.seed != 0)
    format += ", seed = " + std::to_string(spec.seed);
  bool twin = spec.twinRank > 0;
  std::string rank = std::to_string(spec.twinRank);
  std::string utType = "memref<" + rank + "x?xi8, strided<[" +
                       std::to_string(factorRowBytes(spec, spec.n)) +
                       ", 1], offset: ?>>";
  std::string vType = "memref<" + rank + "x" +
                      std::to_string(factorRowBytes(spec, spec.k)) + "xi8>";
  os << "func.func @itq3_matmul(%x: " << xType << ", %w: " << wType;
  if (twin)
    os << ", %ut: " << utType << ", %v: " << vType;
  os << ", %y: " << yType;
  if (spec.int8Activations)
    os << ", %s: " << sType;
  os << ") attributes {llvm.emit_c_interface} {\n";
  if (twin)
    os << "  itq3.twin_matmul_into %x, %w, %ut, %v into %y";
  else
    os << "  itq3.matmul_into %x, %w into %y";
  os << (spec.int8Activations ? " scales %s" : "") << " format<" << format
     << ">";
  if (twin)
    os << " factors<" << fmt::formatName(spec.factorFormat) << ">";
  os << " rotation<" << rotationOf(spec) << "> : " << xType << ", " << wType;
  if (twin)
    os << ", " << utType << ", " << vType;
  os << ", " << yType << (spec.int8Activations ? ", " + sType : "") << "\n"
     << "  return\n}\n";
  return os.str();
}

CpuMatmulKernel::~CpuMatmulKernel() = default;

template <typename Lower>
std::unique_ptr<CpuMatmulKernel>
CpuMatmulKernel::compileWith(const MatmulKernelSpec &spec, Lower lower,
                             std::string &error) {
  KernelModule kernel(matmulKernelSource(spec));
  if (!lower(kernel))
    return nullptr;
  std::unique_ptr<CpuMatmulKernel> compiled(new CpuMatmulKernel());
  compiled->spec = spec;
  compiled->rowBytes = fmt::createCodec(spec.format)->rowBytes(spec.k);
  if (!kernel.jit("itq3_matmul", compiled->engine, compiled->entry, error,
                  spec.cpu))
    return nullptr;
  return compiled;
}

std::unique_ptr<CpuMatmulKernel>
CpuMatmulKernel::compile(const MatmulKernelSpec &spec, std::string &error) {
  CpuPipelineOptions options;
  options.tileM = spec.tileM;
  options.tileN = spec.tileN;
  options.mma = spec.mma;
  options.vectorDecode = spec.vectorDecode;
  // The JIT compiles for spec.cpu (empty: this host): the same features.
  options.targetFeatures = cpuFeatures(spec.cpu.empty() ? "native" : spec.cpu);
  return compileWith(
      spec,
      [&](KernelModule &kernel) {
        if (!kernel.run(
                [&](OpPassManager &pm) { buildCpuLLVMPipeline(pm, options); },
                "cannot lower the CPU matmul kernel", error))
          return false;
        if (spec.mutate)
          spec.mutate(kernel.module->getOperation());
        return true;
      },
      error);
}

std::unique_ptr<CpuMatmulKernel>
CpuMatmulKernel::compileGpuEmulation(const MatmulKernelSpec &spec,
                                     const GpuEmulation &emulation,
                                     std::string &error) {
  PtxPipelineOptions options;
  options.tileM = spec.tileM;
  options.tileN = spec.tileN;
  options.mma = spec.mma;
  options.blockSize = emulation.blockSize;
  return compileWith(
      spec,
      [&](KernelModule &kernel) {
        return emulateGpuKernels(kernel, options, emulation, error);
      },
      error);
}

/// Runs `call(firstRow, rows)` on slices of the N rows, one per thread;
/// slices are whole tiles so no tile is split.
static void forEachRowSlice(int64_t n, int64_t tileN, unsigned threads,
                            const std::function<void(int64_t, int64_t)> &call) {
  int64_t tiles = (n + tileN - 1) / tileN;
  int64_t workers = std::max<int64_t>(1, std::min<int64_t>(threads, tiles));
  int64_t perWorker = (tiles + workers - 1) / workers * tileN;
  std::vector<std::thread> pool;
  for (int64_t first = perWorker; first < n; first += perWorker)
    pool.emplace_back(call, first, std::min(perWorker, n - first));
  call(0, std::min(perWorker, n));
  for (std::thread &t : pool)
    t.join();
}

unsigned CpuMatmulKernel::threads() const {
  return spec.threads ? spec.threads
                      : std::max(1u, std::thread::hardware_concurrency());
}

/// Calls the kernel once per slice of W's rows (and the matching columns of
/// y), one slice per thread; `call(weights, result, first)` passes the rest.
template <typename Call>
void CpuMatmulKernel::runOnSlices(const uint8_t *w, int64_t m, float *y,
                                  Call call) const {
  forEachRowSlice(spec.n, spec.tileN, threads(), [&](int64_t first, int64_t rows) {
    auto ws = matrix(reinterpret_cast<const int8_t *>(w) + first * rowBytes,
                     rows, rowBytes);
    StridedMemRefType<float, 2> ys{y, y, first, {m, rows}, {spec.n, 1}};
    call(ws, ys, first, rows);
  });
}

/// The twin factors of the slice of N at `first` (rows of them): U^T's
/// columns from there (whole blocks: slices are whole tiles of 32), all of V.
static std::pair<StridedMemRefType<int8_t, 2>, StridedMemRefType<int8_t, 2>>
twinSlices(const MatmulKernelSpec &spec, const TwinFactorBytes &twin,
           int64_t first, int64_t rows) {
  int64_t utBytes = factorRowBytes(spec, spec.n);
  int64_t blockBytes = factorRowBytes(spec, 32);
  auto *ut = reinterpret_cast<int8_t *>(const_cast<uint8_t *>(twin.ut));
  StridedMemRefType<int8_t, 2> uts{ut, ut, first / 32 * blockBytes,
                                   {spec.twinRank, rows / 32 * blockBytes},
                                   {utBytes, 1}};
  return {uts, matrix(reinterpret_cast<const int8_t *>(twin.v), spec.twinRank,
                      factorRowBytes(spec, spec.k))};
}

void CpuMatmulKernel::run(const float *x, int64_t m, const uint8_t *w,
                          float *y, const TwinFactorBytes &twin) const {
  using Memref = StridedMemRefType<float, 2>;
  using Bytes = StridedMemRefType<int8_t, 2>;
  runOnSlices(w, m, y, [&](auto ws, auto ys, int64_t first, int64_t rows) {
    auto xs = matrix(x, m, spec.k);
    if (spec.twinRank) {
      auto [uts, vs] = twinSlices(spec, twin, first, rows);
      using Fn = void (*)(Memref *, Bytes *, Bytes *, Bytes *, Memref *);
      reinterpret_cast<Fn>(entry)(&xs, &ws, &uts, &vs, &ys);
      return;
    }
    using Fn = void (*)(Memref *, Bytes *, Memref *);
    reinterpret_cast<Fn>(entry)(&xs, &ws, &ys);
  });
}

void CpuMatmulKernel::run(const int8_t *x, const float *xScales, int64_t m,
                          const uint8_t *w, float *y,
                          const TwinFactorBytes &twin) const {
  using Memref = StridedMemRefType<float, 2>;
  using Bytes = StridedMemRefType<int8_t, 2>;
  runOnSlices(w, m, y, [&](auto ws, auto ys, int64_t first, int64_t rows) {
    auto xs = matrix(x, m, spec.k);
    auto ss = matrix(xScales, m, spec.k / 32);
    if (spec.twinRank) {
      auto [uts, vs] = twinSlices(spec, twin, first, rows);
      using Fn = void (*)(Bytes *, Bytes *, Bytes *, Bytes *, Memref *, Memref *);
      reinterpret_cast<Fn>(entry)(&xs, &ws, &uts, &vs, &ys, &ss);
      return;
    }
    using Fn = void (*)(Bytes *, Bytes *, Memref *, Memref *);
    reinterpret_cast<Fn>(entry)(&xs, &ws, &ys, &ss);
  });
}
