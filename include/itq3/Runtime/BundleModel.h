//===- BundleModel.h - a bundle's model on one backend ----------*- C++ -*-===//
//
// What itq3-run and itq3-bench drive: the CPU backend (CpuModel) or the
// CUDA backend (GpuModel), chosen by openBundleModel.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_BUNDLEMODEL_H
#define ITQ3_RUNTIME_BUNDLEMODEL_H

#include "itq3/Runtime/Bundle.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace itq3::rt {

class BundleModel {
public:
  virtual ~BundleModel() = default;
  /// Runs tokens[0..n) at positions pos .. pos + n - 1, appending to the KV
  /// cache (positions before pos must be there already). Writes n rows of
  /// logits when allLogits, else the last row only.
  virtual Status run(const int32_t *tokens, int64_t n, int64_t pos,
                     std::vector<float> &logits, bool allLogits) = 0;
  virtual int64_t context() const = 0;
  virtual int64_t vocabSize() const = 0;
  /// Seconds spent per function of the plan (CPU) or per kind of step
  /// (GPU, from events) since creation.
  virtual const std::vector<std::pair<std::string, double>> &
  profile() const = 0;
  /// "cpu", or "cuda: DEVICE (sm_XY, cubin|ptx)".
  virtual std::string backend() const = 0;
};

/// Opens `bundle` (which must outlive the model) on options.device: "cpu",
/// "cuda", or "auto" (CUDA when a driver opens and the bundle holds code
/// for its GPU, else the CPU; `notice` then says why the GPU is not used).
/// `threads` is the CPU backend's thread count (CpuModel::create);
/// `cudaGraphs` whether the CUDA backend replays decode steps as graphs.
struct OpenOptions {
  std::string device = "auto";
  unsigned threads = 0;
  bool cudaGraphs = true;
};
Status openBundleModel(const Bundle &bundle, const OpenOptions &options,
                       std::unique_ptr<BundleModel> &out, std::string &notice);

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_BUNDLEMODEL_H
