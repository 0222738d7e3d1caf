//===- ModelCompiler.h - A model checkpoint -> one bundle file --*- C++ -*-===//
//
// What itq3-compile does: quantize every weight offline with lib/Format,
// build the model graph (ModelGraph.h), lower it for each target, and write
// the bundle (weights, code, plan, config and tokenizer) that the runtime
// executes without any compiler.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_GRAPH_MODELCOMPILER_H
#define ITQ3_GRAPH_MODELCOMPILER_H

#include "itq3/Format/Codec.h"
#include "itq3/Model/Model.h"

#include <functional>
#include <string>
#include <vector>

namespace itq3::model {
struct CalibratedQuantization;
} // namespace itq3::model

namespace itq3::graph {

using format::Status;

struct CompileOptions {
  format::FormatKind format = format::FormatKind::ITQ3S;
  /// "activation" (x rotated and quantized to int8, integer products) or
  /// "weight" (float x, inverse FWHT of the staged weight tiles).
  std::string rotation = "activation";
  uint64_t signSeed = 0;
  format::FormatKind headFormat = format::FormatKind::Q8;
  format::FormatKind embeddingFormat = format::FormatKind::Q8;
  std::vector<std::string> targets = {"cpu"};
  int64_t context = 0; // 0: the model's trained length
  int64_t prefillChunk = 512;
  unsigned threads = 0; // for quantization
  std::string cpu = "native";
  /// How the CPU code is made: "cpu" (the CPU mapping) or "gpu-emulation"
  /// (the GPU mapping run by --itq3-emulate-gpu: slow, it checks the GPU
  /// kernels where no GPU is).
  std::string cpuMapping = "cpu";
  /// Positions per part of the GPU mapping's split attention (0: the
  /// pipeline's default); small values let tests reach several parts.
  int64_t gpuAttentionSplit = 0;
  std::vector<uint8_t> tokenizer; // serialized (lib/Model)
  /// When set, every layer linear is encoded with the statistic of its input
  /// (format::encodeRowsCalibrated) instead of round-to-nearest; the
  /// embedding and the head have no statistic and stay round-to-nearest.
  const model::CalibratedQuantization *calibrated = nullptr;
  /// When set, the model graph (buffer-level itq3 IR, before lowering) is
  /// also written to this file.
  std::string graphPath;
  /// When set (with a GPU target), the GPU kernels emulated on the CPU, as
  /// a shared object with an entry point per kernel that takes
  /// cuLaunchKernel's parameters (--itq3-export-kernel-launchers), are
  /// written to this file: what a stand-in CUDA driver runs to test the
  /// runtime's CUDA backend on a machine without a GPU.
  std::string emulatedKernelsPath;
  /// progress(stage, done, total): quantization reports weights done.
  std::function<void(const std::string &, int64_t, int64_t)> progress;
};

struct CompileReport {
  double linearBits = 0, otherBits = 0;
  int64_t linearWeights = 0, otherWeights = 0;
  std::vector<std::string> fallbacks; // "blk.*.ffn_down.weight: q8 (K = 172)"
  int64_t calibratedLinears = 0;
  std::vector<std::pair<std::string, double>> stageSeconds;

  double linearBitsPerWeight() const {
    return linearWeights ? linearBits / double(linearWeights) : 0;
  }
  double modelBitsPerWeight() const {
    int64_t n = linearWeights + otherWeights;
    return n ? (linearBits + otherBits) / double(n) : 0;
  }
};

/// Lazily imported tensors (loadModel's `lazy`) are decoded one at a time
/// and released once packed, so the model's fp32 weights are never all in
/// memory at once.
Status compileModel(model::Model &model, const CompileOptions &options,
                    const std::string &outputPath, CompileReport &report);

} // namespace itq3::graph

#endif // ITQ3_GRAPH_MODELCOMPILER_H
