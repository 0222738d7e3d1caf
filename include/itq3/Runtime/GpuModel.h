//===- GpuModel.h - Runs a bundle's compiled GPU code -----------*- C++ -*-===//
//
// The CUDA backend. Picks the bundle's code for this GPU (the cubin of its
// architecture, else the PTX when it was made for an older one), loads the
// host code (its constructors load the kernel modules through the runtime's
// mgpu* functions, GpuShim.h), uploads every tensor once, owns the KV cache
// and the activations in device memory, and replays the plan like CpuModel
// with device addresses bound to each parameter. A decode step (one token)
// is captured as a CUDA graph: the first step instantiates it, later steps
// capture again and update it in place (the position and the attention's
// grid change per token), which replays the step's kernels without their
// launch costs; a capture that cannot update instantiates anew.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_GPUMODEL_H
#define ITQ3_RUNTIME_GPUMODEL_H

#include "itq3/Runtime/BundleModel.h"
#include "itq3/Runtime/CudaDriver.h"
#include "itq3/Runtime/SharedObject.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itq3::rt {

class GpuShim;

class GpuModel : public BundleModel {
public:
  struct Options {
    /// Decode steps as CUDA graphs (when the driver has them).
    bool graphs = true;
  };
  struct Stats {
    uint64_t launches = 0;    // kernel launches issued (captured included)
    uint64_t graphSteps = 0;  // decode steps replayed from a graph
    uint64_t graphUpdates = 0, graphInstantiations = 0;
    uint64_t weightBytes = 0, cacheBytes = 0, arenaBytes = 0;
  };

  /// `bundle` must outlive the model; the model keeps the driver.
  static Status create(const Bundle &bundle, std::unique_ptr<CudaDriver> driver,
                       Options options, std::unique_ptr<GpuModel> &out);
  ~GpuModel() override;

  Status run(const int32_t *tokens, int64_t n, int64_t pos,
             std::vector<float> &logits, bool allLogits) override;
  int64_t context() const override { return context_; }
  int64_t vocabSize() const override { return vocab_; }
  const std::vector<std::pair<std::string, double>> &
  profile() const override {
    return profile_;
  }
  std::string backend() const override;
  Stats stats() const;
  /// While on, steps launch kernel by kernel (no graphs) with an event pair
  /// around each kernel; takeKernelSeconds adds their times since, by
  /// kernel name (`layer_attn_q`, `layer_attention`, ...).
  void setKernelTiming(bool on);
  Status takeKernelSeconds(std::map<std::string, double> &seconds);

private:
  GpuModel(const Bundle &bundle, std::unique_ptr<CudaDriver> driver,
           Options options);
  Status selectCode();
  Status prepare();
  Status upload();
  /// The plan for a chunk of `rows` tokens already in the device's token
  /// buffer; the head only with `head`.
  Status callPlan(int64_t rows, int64_t pos, bool allLogits, bool head);
  Status call(const FunctionInfo &f, uint32_t layer, int64_t rows,
              int64_t pos, CUdeviceptr tokens, CUdeviceptr x,
              CUdeviceptr logits);
  /// One decode step captured and replayed as a CUDA graph.
  Status decodeGraph(int64_t pos, bool head);

  const Bundle &bundle_;
  std::unique_ptr<CudaDriver> driver_;
  Options options_;
  const CodeObject *code_ = nullptr;
  std::string arch_;
  void *stream_ = nullptr;
  std::unique_ptr<GpuShim> shim_;
  std::unique_ptr<SharedObject> object_;
  std::vector<void *> entries_; // per function of the bundle
  int64_t dim_ = 0, vocab_ = 0, context_ = 0, kvWidth_ = 0, layers_ = 0;
  int64_t chunkRows_ = 0, prefillRows_ = 0;
  // Device memory: the bundle's tensor bytes (one copy of the file's span
  // of them), the caches, the activations, the token ids, the logits.
  const uint8_t *hostTensors_ = nullptr;
  CUdeviceptr tensors_ = 0, keyCache_ = 0, valueCache_ = 0, x_ = 0,
              tokens_ = 0, logits_ = 0;
  uint64_t tensorBytes_ = 0;
  void *graph_ = nullptr; // the decode step's instantiated graph
  bool kernelTiming_ = false;
  Stats stats_;
  std::vector<std::pair<std::string, double>> profile_;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_GPUMODEL_H
