//===- GpuMatmul.cpp - run a compiled matmul kernel on the GPU ------------===//
#include "itq3/Runtime/GpuMatmul.h"

#include <vector>

namespace itq3::rt {

namespace {

/// A 2-D memref descriptor as the lowered kernel takes it.
struct Descriptor {
  CUdeviceptr allocated, aligned;
  int64_t offset, rows, cols, rowStride, colStride;

  void appendParams(std::vector<void *> &params) {
    for (void *field : {(void *)&allocated, (void *)&aligned, (void *)&offset,
                        (void *)&rows, (void *)&cols, (void *)&rowStride,
                        (void *)&colStride})
      params.push_back(field);
  }
};

Descriptor contiguous(CUdeviceptr ptr, int64_t rows, int64_t cols) {
  return {ptr, ptr, 0, rows, cols, cols, 1};
}

} // namespace

std::unique_ptr<GpuMatmul> GpuMatmul::create(CudaDriver &driver,
                                             const MatmulKernelImage &image,
                                             const uint8_t *packedWeights,
                                             std::string &error) {
  std::unique_ptr<GpuMatmul> matmul(new GpuMatmul(driver, image));
  size_t bytes = size_t(image.n) * image.rowBytes;
  if (!driver.loadModule(image.ptx, image.entry, matmul->function, error) ||
      !driver.allocate(bytes, matmul->weights, error) ||
      !driver.copyToDevice(matmul->weights, packedWeights, bytes, error))
    return nullptr;
  return matmul;
}

GpuMatmul::~GpuMatmul() { driver.release(weights); }

bool GpuMatmul::run(const void *x, const float *scales, int64_t m, float *y,
                    float &milliseconds, std::string &error) {
  milliseconds = 0;
  if (m == 0) // nothing to compute, and a grid of zero blocks is invalid
    return true;
  const MatmulKernelImage &im = image;
  size_t xBytes = size_t(m) * im.k * (im.int8Activations ? 1 : 4);
  size_t sBytes = size_t(m) * (im.k / 32) * 4;
  size_t yBytes = size_t(m) * im.n * 4;
  DeviceBuffers buffers(driver);
  CUdeviceptr dx = 0, ds = 0, dy = 0;
  if (!buffers.add(xBytes, dx, error) || !buffers.add(yBytes, dy, error) ||
      !driver.copyToDevice(dx, x, xBytes, error))
    return false;
  if (im.int8Activations &&
      (!buffers.add(sBytes, ds, error) ||
       !driver.copyToDevice(ds, scales, sBytes, error)))
    return false;

  std::vector<Descriptor> descriptors;
  for (MatmulKernelImage::Buffer b : im.parameters) {
    switch (b) {
    case MatmulKernelImage::Buffer::Activations:
      descriptors.push_back(contiguous(dx, m, im.k));
      break;
    case MatmulKernelImage::Buffer::Weights:
      descriptors.push_back(contiguous(weights, im.n, im.rowBytes));
      break;
    case MatmulKernelImage::Buffer::Result:
      descriptors.push_back(contiguous(dy, m, im.n));
      break;
    case MatmulKernelImage::Buffer::Scales:
      descriptors.push_back(contiguous(ds, m, im.k / 32));
      break;
    }
  }
  std::vector<void *> params;
  for (Descriptor &d : descriptors)
    d.appendParams(params);
  unsigned gridX = unsigned((im.n + im.tileN - 1) / im.tileN);
  unsigned gridY = unsigned((m + im.tileM - 1) / im.tileM);
  return driver.launch(function, gridX, gridY, unsigned(im.blockSize),
                       params.data(), milliseconds, error) &&
         driver.copyToHost(y, dy, yBytes, error);
}

} // namespace itq3::rt
