//===- CpuMatmulKernel.cpp - compile and call a CPU matmul kernel ---------===//
#include "itq3/Conversion/CpuMatmulKernel.h"

#include "KernelModule.h"

#include "itq3/Conversion/Pipelines.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/Support/TargetSelect.h"

#include <sstream>

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

std::string mlir::itq3::matmulKernelSource(const MatmulKernelSpec &spec) {
  auto codec = fmt::createCodec(spec.format);
  std::ostringstream os;
  std::string xType = "memref<?x" + std::to_string(spec.k) +
                      (spec.int8Activations ? "xi8>" : "xf32>");
  std::string wType = "memref<" + std::to_string(spec.n) + "x" +
                      std::to_string(codec->rowBytes(spec.k)) + "xi8>";
  std::string yType = "memref<?x" + std::to_string(spec.n) + "xf32>";
  std::string sType = "memref<?x" + std::to_string(spec.k / 32) + "xf32>";
  std::string format(fmt::formatName(spec.format));
  if (spec.seed != 0)
    format += ", seed = " + std::to_string(spec.seed);
  os << "func.func @itq3_matmul(%x: " << xType << ", %w: " << wType
     << ", %y: " << yType;
  if (spec.int8Activations)
    os << ", %s: " << sType;
  os << ") attributes {llvm.emit_c_interface} {\n"
     << "  itq3.matmul_into %x, %w into %y"
     << (spec.int8Activations ? " scales %s" : "") << " format<" << format
     << "> rotation<" << rotationOf(spec) << "> : " << xType << ", " << wType
     << ", " << yType << (spec.int8Activations ? ", " + sType : "") << "\n"
     << "  return\n}\n";
  return os.str();
}

CpuMatmulKernel::~CpuMatmulKernel() = default;

std::unique_ptr<CpuMatmulKernel>
CpuMatmulKernel::compile(const MatmulKernelSpec &spec, std::string &error) {
  KernelModule kernel(spec);
  CpuPipelineOptions options;
  options.tileM = spec.tileM;
  options.tileN = spec.tileN;
  if (!kernel.run([&](OpPassManager &pm) { buildCpuLLVMPipeline(pm, options); },
                  "cannot lower the CPU matmul kernel", error))
    return nullptr;
  ModuleOp module = *kernel.module;

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = makeOptimizingTransformer(3, 0, nullptr);
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine) {
    error = "cannot JIT-compile the CPU matmul kernel: " +
            llvm::toString(engine.takeError());
    return nullptr;
  }
  auto entry = (*engine)->lookup("_mlir_ciface_itq3_matmul");
  if (!entry) {
    error = llvm::toString(entry.takeError());
    return nullptr;
  }
  std::unique_ptr<CpuMatmulKernel> compiled(new CpuMatmulKernel());
  compiled->spec = spec;
  compiled->engine = std::move(*engine);
  compiled->entry = *entry;
  return compiled;
}

void CpuMatmulKernel::run(const float *x, int64_t m, const uint8_t *w,
                          float *y) const {
  auto xs = matrix(x, m, spec.k);
  auto ws = matrix(reinterpret_cast<const int8_t *>(w), spec.n,
                   fmt::createCodec(spec.format)->rowBytes(spec.k));
  auto ys = matrix<float>(y, m, spec.n);
  using Fn = void (*)(StridedMemRefType<float, 2> *,
                      StridedMemRefType<int8_t, 2> *,
                      StridedMemRefType<float, 2> *);
  reinterpret_cast<Fn>(entry)(&xs, &ws, &ys);
}

void CpuMatmulKernel::run(const int8_t *x, const float *xScales, int64_t m,
                          const uint8_t *w, float *y) const {
  auto xs = matrix(x, m, spec.k);
  auto ws = matrix(reinterpret_cast<const int8_t *>(w), spec.n,
                   fmt::createCodec(spec.format)->rowBytes(spec.k));
  auto ys = matrix<float>(y, m, spec.n);
  auto ss = matrix(xScales, m, spec.k / 32);
  using Fn = void (*)(StridedMemRefType<int8_t, 2> *,
                      StridedMemRefType<int8_t, 2> *,
                      StridedMemRefType<float, 2> *,
                      StridedMemRefType<float, 2> *);
  reinterpret_cast<Fn>(entry)(&xs, &ws, &ys, &ss);
}
