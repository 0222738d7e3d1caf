//===- CpuObject.h - LLVM-dialect module -> ELF shared object ---*- C++ -*-===//
//
// The ahead-of-time half of the CPU mapping: a module lowered by
// --itq3-to-cpu-llvm is translated to LLVM IR, optimized for the chosen CPU,
// compiled to an object by the LLVM backend and linked by lld into a shared
// object that the runtime loads with dlopen, without any LLVM of its own.
//
// Every function with a C interface (`_mlir_ciface_NAME`) also gets
// `_itq3_packed_NAME(void **args)`, which calls it with *args[i] as
// argument i (a pointer to a memref descriptor, or an int64 index), so the
// runtime calls every entry point through one signature.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_CONVERSION_CPUOBJECT_H
#define ITQ3_CONVERSION_CPUOBJECT_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::itq3 {

struct CpuObjectOptions {
  /// LLVM CPU name; "native" is this machine's CPU with its features.
  std::string cpu = "native";
  /// Extra target features ("+avx2,..."); for "native" the host's.
  std::string features;
  /// The code calls libomp (--itq3-to-cpu-llvm{openmp}): link it, with
  /// its directory as the object's run path.
  bool openmp = false;
};

/// The CPU name and feature string `options` resolve to.
void resolveCpu(const CpuObjectOptions &options, std::string &cpu,
                std::string &features);

/// The LLVM feature string ("+a,-b,...") of code for LLVM CPU `cpu`:
/// "native" is this host's CPU with its features, any other name that CPU's
/// own features; `extra` is appended. What --itq3-to-cpu-llvm's
/// target-features option expects.
std::string cpuFeatures(const std::string &cpu, const std::string &extra = "");

/// Compiles and links `modules` (LLVM dialect; their external symbols
/// distinct) into the bytes of one shared object. On failure returns false
/// and sets `error`.
bool emitSharedObject(ArrayRef<ModuleOp> modules,
                      const CpuObjectOptions &options,
                      std::vector<uint8_t> &object, std::string &error);

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_CPUOBJECT_H
