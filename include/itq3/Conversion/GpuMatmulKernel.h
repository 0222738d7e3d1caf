//===- GpuMatmulKernel.h - compile a matmul kernel for the GPU --*- C++ -*-===//
#ifndef ITQ3_CONVERSION_GPUMATMULKERNEL_H
#define ITQ3_CONVERSION_GPUMATMULKERNEL_H

#include "itq3/Conversion/CpuMatmulKernel.h"
#include "itq3/Runtime/KernelImage.h"

#include <optional>
#include <string>

namespace mlir::itq3 {

/// Compiles the kernel of `spec` through --itq3-to-ptx for `chip` and
/// returns what the runtime needs to launch it; nullopt and `error` on
/// failure. Needs no GPU and no CUDA toolkit (PTX comes from LLVM).
std::optional<::itq3::rt::MatmulKernelImage>
compileGpuMatmulKernel(const MatmulKernelSpec &spec, const std::string &chip,
                       int64_t blockSize, std::string &error);

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_GPUMATMULKERNEL_H
