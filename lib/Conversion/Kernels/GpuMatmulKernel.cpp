//===- GpuMatmulKernel.cpp - compile a matmul kernel for the GPU ----------===//
#include "itq3/Conversion/GpuMatmulKernel.h"

#include "KernelModule.h"

#include "itq3/Conversion/Pipelines.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace mlir;
using namespace mlir::itq3;
using ::itq3::rt::MatmulKernelImage;

/// Which kernel parameter is which buffer, from the launch after outlining:
/// each operand is an argument of @itq3_matmul(x, w, y[, scales]).
static bool bindParameters(ModuleOp module, MatmulKernelImage &image,
                           std::string &error) {
  gpu::LaunchFuncOp launch;
  module.walk([&](gpu::LaunchFuncOp op) { launch = op; });
  if (!launch) {
    error = "no gpu.launch_func after outlining";
    return false;
  }
  constexpr MatmulKernelImage::Buffer byArgument[] = {
      MatmulKernelImage::Buffer::Activations,
      MatmulKernelImage::Buffer::Weights, MatmulKernelImage::Buffer::Result,
      MatmulKernelImage::Buffer::Scales};
  for (Value operand : launch.getKernelOperands()) {
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg || arg.getArgNumber() >= 4) {
      error = "a kernel parameter is not one of the buffers";
      return false;
    }
    image.parameters.push_back(byArgument[arg.getArgNumber()]);
  }
  image.entry = launch.getKernelName().str();
  return true;
}

static bool extractPtx(ModuleOp module, MatmulKernelImage &image,
                       std::string &error) {
  gpu::BinaryOp binary;
  module.walk([&](gpu::BinaryOp op) { binary = op; });
  if (!binary || binary.getObjects().empty()) {
    error = "no gpu.binary after serialization";
    return false;
  }
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  image.ptx = object.getObject().str();
  return true;
}

std::optional<MatmulKernelImage>
mlir::itq3::compileGpuMatmulKernel(const MatmulKernelSpec &spec,
                                   const std::string &chip, int64_t blockSize,
                                   std::string &error) {
  PtxPipelineOptions options;
  options.chip = chip;
  options.tileM = spec.tileM;
  options.tileN = spec.tileN;
  options.mma = spec.mma;
  options.blockSize = blockSize;
  KernelModule kernel(matmulKernelSource(spec));
  MatmulKernelImage image;
  if (!kernel.run([&](OpPassManager &pm) { buildGpuKernelPipeline(pm, options); },
                  "cannot map the matmul kernel to the GPU", error) ||
      !bindParameters(*kernel.module, image, error) ||
      !kernel.run([&](OpPassManager &pm) { buildGpuBinaryPipeline(pm, options); },
                  "cannot serialize the GPU kernel", error) ||
      !extractPtx(*kernel.module, image, error))
    return std::nullopt;
  auto codec = ::itq3::format::createCodec(spec.format);
  image.n = spec.n;
  image.k = spec.k;
  image.rowBytes = codec->rowBytes(spec.k);
  image.int8Activations = spec.int8Activations;
  image.tileM = spec.tileM;
  image.tileN = spec.tileN;
  image.blockSize = blockSize;
  return image;
}
