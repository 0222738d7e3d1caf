//===- CpuMatmulKernel.h - compile and call a CPU matmul kernel -*- C++ -*-===//
//
// Generates the itq3.matmul_into kernel for one (format, rotation, N, K),
// lowers it with --itq3-to-cpu-llvm (or its GPU mapping, emulated) and
// JIT-compiles it, so C++ (tests, itq3-bench) can call the same code the
// compiler emits.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_CONVERSION_CPUMATMULKERNEL_H
#define ITQ3_CONVERSION_CPUMATMULKERNEL_H

#include "itq3/Conversion/GpuEmulation.h"
#include "itq3/Format/Codec.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
}

namespace mlir::itq3 {

struct MatmulKernelSpec {
  ::itq3::format::FormatKind format;
  uint64_t seed = 0;
  /// Rotated formats: true = activations arrive rotated (and int8 when
  /// `int8Activations`); false = the kernel un-rotates weight tiles.
  bool rotateActivations = false;
  bool int8Activations = false;
  int64_t n = 0, k = 0;
  int64_t tileM = 8, tileN = 32;
  /// Products on 16x8 blocks (mma.sync on GPUs, loops on the CPU) where the
  /// tile allows: tileM a multiple of 16, tileN of 8.
  bool mma = false;
  /// CPU only: threads that split N between them (0 = one per core).
  unsigned threads = 0;
  /// CPU only: decode 32 weight columns per step with vector ops where the
  /// format allows (the pipeline's default); false keeps the scalar decode
  /// the GPU mapping uses, for A/B comparisons and its tests.
  bool vectorDecode = true;
  /// CPU only: the LLVM CPU to compile for (empty: this host), e.g.
  /// "x86-64" (SSE2 only) to test the vector code without AVX2.
  std::string cpu;
  /// CPU only, for mutation tests: called on the lowered module (LLVM
  /// dialect) before the JIT compiles it.
  std::function<void(Operation *module)> mutate;
  /// TwinQuant (itq3.twin_matmul_into): the rank of U V, 0 for a plain
  /// matmul; `format` is then the residual's and `factorFormat` that of
  /// U^T and V (q8 or q4). Each tile of N recomputes t = x V^T (rank / tileN
  /// of the residual's work): give it a wide tile (tileN a multiple of 32).
  int64_t twinRank = 0;
  ::itq3::format::FormatKind factorFormat = ::itq3::format::FormatKind::Q4;
};

/// The stored factors of a TwinQuant weight (TwinQuant.h): U^T [rank x N]
/// and V [rank x K], each row in blocks of the factor format.
struct TwinFactorBytes {
  const uint8_t *ut = nullptr, *v = nullptr;
};

/// The MLIR source of `func.func @itq3_matmul(x, w, [ut, v,] y[, scales])`.
std::string matmulKernelSource(const MatmulKernelSpec &spec);

class CpuMatmulKernel {
public:
  /// Compiles the kernel; on failure returns null and sets `error`.
  static std::unique_ptr<CpuMatmulKernel> compile(const MatmulKernelSpec &spec,
                                                  std::string &error);
  /// The kernel's GPU mapping (--itq3-to-gpu-kernels with spec's tiles and
  /// mma) executed on the CPU by --itq3-emulate-gpu; called like the CPU
  /// mapping.
  static std::unique_ptr<CpuMatmulKernel>
  compileGpuEmulation(const MatmulKernelSpec &spec,
                      const GpuEmulation &emulation, std::string &error);
  ~CpuMatmulKernel();

  /// y[m, n] = x[m, :] . W[n, :]; `w` is the packed matrix as lib/Format
  /// stores it (the residual, with `twin` its factors, for a twin spec).
  /// Float activations. The rows of W are split between threads().
  void run(const float *x, int64_t m, const uint8_t *w, float *y,
           const TwinFactorBytes &twin = {}) const;
  /// The same with int8 activations and one scale per 32 of them.
  void run(const int8_t *x, const float *xScales, int64_t m, const uint8_t *w,
           float *y, const TwinFactorBytes &twin = {}) const;

  unsigned threads() const;

private:
  CpuMatmulKernel() = default;
  template <typename Lower>
  static std::unique_ptr<CpuMatmulKernel>
  compileWith(const MatmulKernelSpec &spec, Lower lower, std::string &error);
  template <typename Call>
  void runOnSlices(const uint8_t *w, int64_t m, float *y, Call call) const;

  MatmulKernelSpec spec;
  int64_t rowBytes = 0;
  std::unique_ptr<ExecutionEngine> engine;
  void *entry = nullptr;
};

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_CPUMATMULKERNEL_H
