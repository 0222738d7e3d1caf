//===- CpuQuantizeActKernel.cpp - compiled activation quantizer -----------===//
#include "itq3/Conversion/CpuQuantizeActKernel.h"

#include "KernelModule.h"

#include "itq3/Conversion/Pipelines.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"

#include <sstream>

using namespace mlir;
using namespace mlir::itq3;

static std::string quantizeActSource(int64_t k, bool rotate, uint64_t seed) {
  std::string x = "memref<?x" + std::to_string(k) + "xf32>";
  std::string q = "memref<?x" + std::to_string(k) + "xi8>";
  std::string s = "memref<?x" + std::to_string(k / 32) + "xf32>";
  std::ostringstream os;
  os << "func.func @itq3_quantize_act(%x: " << x << ", %q: " << q
     << ", %s: " << s << ") attributes {llvm.emit_c_interface} {\n"
     << "  itq3.quantize_act_into %x into %q, %s" << (rotate ? " rotate" : "");
  if (seed != 0)
    os << " signs(" << int64_t(seed) << ")";
  os << " : " << x << ", " << q << ", " << s << "\n  return\n}\n";
  return os.str();
}

CpuQuantizeActKernel::~CpuQuantizeActKernel() = default;

template <typename Lower>
std::unique_ptr<CpuQuantizeActKernel>
CpuQuantizeActKernel::compileWith(int64_t k, bool rotate, uint64_t seed,
                                  Lower lower, std::string &error) {
  KernelModule kernel(quantizeActSource(k, rotate, seed));
  if (!lower(kernel))
    return nullptr;
  std::unique_ptr<CpuQuantizeActKernel> compiled(new CpuQuantizeActKernel());
  compiled->k = k;
  if (!kernel.jit("itq3_quantize_act", compiled->engine, compiled->entry, error))
    return nullptr;
  return compiled;
}

std::unique_ptr<CpuQuantizeActKernel>
CpuQuantizeActKernel::compile(int64_t k, bool rotate, uint64_t seed,
                              std::string &error) {
  return compileWith(
      k, rotate, seed,
      [&](KernelModule &kernel) {
        return kernel.run(
            [](OpPassManager &pm) {
              buildCpuLLVMPipeline(pm, CpuPipelineOptions());
            },
            "cannot lower the activation quantizer", error);
      },
      error);
}

std::unique_ptr<CpuQuantizeActKernel> CpuQuantizeActKernel::compileGpuEmulation(
    int64_t k, bool rotate, uint64_t seed, const GpuEmulation &emulation,
    std::string &error) {
  PtxPipelineOptions options;
  options.blockSize = emulation.blockSize;
  return compileWith(
      k, rotate, seed,
      [&](KernelModule &kernel) {
        return emulateGpuKernels(kernel, options, emulation, error);
      },
      error);
}

void CpuQuantizeActKernel::run(const float *x, int64_t m, int8_t *values,
                               float *scales) const {
  StridedMemRefType<float, 2> xs{const_cast<float *>(x), const_cast<float *>(x),
                                 0, {m, k}, {k, 1}};
  StridedMemRefType<int8_t, 2> qs{values, values, 0, {m, k}, {k, 1}};
  StridedMemRefType<float, 2> ss{scales, scales, 0, {m, k / 32}, {k / 32, 1}};
  using Fn = void (*)(StridedMemRefType<float, 2> *,
                      StridedMemRefType<int8_t, 2> *,
                      StridedMemRefType<float, 2> *);
  reinterpret_cast<Fn>(entry)(&xs, &qs, &ss);
}
