//===- CpuQuantizeActKernel.cpp - compiled activation quantizer -----------===//
#include "itq3/Conversion/CpuQuantizeActKernel.h"

#include "KernelModule.h"

#include "itq3/Conversion/Pipelines.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"

#include <iomanip>
#include <sstream>

using namespace mlir;
using namespace mlir::itq3;

static std::string quantizeActSource(const QuantizeActSpec &spec) {
  auto matrix = [](int64_t rows, int64_t cols, const char *element) {
    return "memref<" + (rows < 0 ? std::string("?") : std::to_string(rows)) +
           "x" + std::to_string(cols) + "x" + element + ">";
  };
  std::string x = matrix(-1, spec.k, "f32"), q = matrix(-1, spec.k, "i8"),
              s = matrix(-1, spec.k / 32, "f32");
  std::string c = matrix(spec.kronL, spec.kronL, "f32"),
              b = matrix(spec.kronR, spec.kronR, "f32");
  bool kron = spec.kronL > 0;
  std::ostringstream os;
  os << "func.func @itq3_quantize_act(%x: " << x << ", %q: " << q
     << ", %s: " << s;
  if (kron)
    os << ", %c: " << c << ", %b: " << b;
  os << ") attributes {llvm.emit_c_interface} {\n"
     << "  itq3.quantize_act_into %x into %q, %s"
     << (spec.rotate ? " rotate" : "");
  if (spec.rotate && spec.rotationBlock != 256)
    os << " block(" << spec.rotationBlock << ")";
  if (spec.seed != 0)
    os << " signs(" << int64_t(spec.seed) << ")";
  if (kron)
    os << " kron(%c, %b)";
  if (spec.bits) {
    // 9 significant digits read back to the same f32; a float literal needs
    // its point.
    std::ostringstream clip;
    clip << std::setprecision(9) << spec.clip;
    std::string literal = clip.str();
    if (literal.find_first_of(".e") == std::string::npos)
      literal += ".0";
    os << " bits(" << spec.bits << ") clip(" << literal << ")";
  }
  os << " : " << x << ", " << q << ", " << s;
  if (kron)
    os << ", " << c << ", " << b;
  os << "\n  return\n}\n";
  return os.str();
}

CpuQuantizeActKernel::~CpuQuantizeActKernel() = default;

template <typename Lower>
std::unique_ptr<CpuQuantizeActKernel>
CpuQuantizeActKernel::compileWith(const QuantizeActSpec &spec, Lower lower,
                                  std::string &error) {
  KernelModule kernel(quantizeActSource(spec));
  if (!lower(kernel))
    return nullptr;
  std::unique_ptr<CpuQuantizeActKernel> compiled(new CpuQuantizeActKernel());
  compiled->spec = spec;
  if (!kernel.jit("itq3_quantize_act", compiled->engine, compiled->entry, error))
    return nullptr;
  return compiled;
}

std::unique_ptr<CpuQuantizeActKernel>
CpuQuantizeActKernel::compile(const QuantizeActSpec &spec, std::string &error) {
  return compileWith(
      spec,
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
    const QuantizeActSpec &spec, const GpuEmulation &emulation,
    std::string &error) {
  PtxPipelineOptions options;
  options.blockSize = emulation.blockSize;
  return compileWith(
      spec,
      [&](KernelModule &kernel) {
        return emulateGpuKernels(kernel, options, emulation, error);
      },
      error);
}

void CpuQuantizeActKernel::run(const float *x, int64_t m, int8_t *values,
                               float *scales, const float *c,
                               const float *b) const {
  int64_t k = spec.k, l = spec.kronL, r = spec.kronR;
  auto floats = [](const float *p, int64_t rows, int64_t cols) {
    float *data = const_cast<float *>(p);
    return StridedMemRefType<float, 2>{data, data, 0, {rows, cols}, {cols, 1}};
  };
  StridedMemRefType<float, 2> xs = floats(x, m, k), ss = floats(scales, m, k / 32);
  StridedMemRefType<int8_t, 2> qs{values, values, 0, {m, k}, {k, 1}};
  using Memref = StridedMemRefType<float, 2>;
  using Int8Memref = StridedMemRefType<int8_t, 2>;
  if (l > 0) {
    Memref cs = floats(c, l, l), bs = floats(b, r, r);
    using Fn = void (*)(Memref *, Int8Memref *, Memref *, Memref *, Memref *);
    reinterpret_cast<Fn>(entry)(&xs, &qs, &ss, &cs, &bs);
    return;
  }
  using Fn = void (*)(Memref *, Int8Memref *, Memref *);
  reinterpret_cast<Fn>(entry)(&xs, &qs, &ss);
}
