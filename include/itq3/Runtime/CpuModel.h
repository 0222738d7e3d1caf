//===- CpuModel.h - Runs a bundle's compiled CPU code -----------*- C++ -*-===//
//
// Replays the bundle's plan (embed, layer x N, head) by calling the entry
// points of its shared object, binding each parameter as the function
// table says: bundle tensors by name (with the layer substituted), the
// runtime's buffers (activations, token ids, logits, the layer's slice of
// the KV cache) and scalars (the position). The KV cache is owned here;
// positions past the compiled context are refused before any call.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_CPUMODEL_H
#define ITQ3_RUNTIME_CPUMODEL_H

#include "itq3/Runtime/BundleModel.h"
#include "itq3/Runtime/SharedObject.h"

#include <memory>
#include <vector>

namespace itq3::rt {

class CpuModel : public BundleModel {
public:
  /// `bundle` must outlive the model. Loads and checks the CPU code and
  /// every binding of the plan. The code runs its tiles on `threads`
  /// OpenMP threads (0: OMP_NUM_THREADS, else all cores); the first model
  /// created in a process fixes the count.
  static Status create(const Bundle &bundle, unsigned threads,
                       std::unique_ptr<CpuModel> &out);

  /// Runs tokens[0..n) at positions pos .. pos + n - 1, appending to the KV
  /// cache (positions before pos must be there already). Writes n rows of
  /// logits when allLogits, else the last row only.
  Status run(const int32_t *tokens, int64_t n, int64_t pos,
             std::vector<float> &logits, bool allLogits) override;

  int64_t context() const override { return context_; }
  int64_t vocabSize() const override { return vocab_; }
  std::string backend() const override { return "cpu"; }
  /// Seconds spent in each function of the plan since creation.
  const std::vector<std::pair<std::string, double>> &
  profile() const override {
    return profile_;
  }
  /// Seconds spent inside the functions in the products (matmuls and the
  /// quantization of their activations) and in attention since creation,
  /// from the timers the compiler puts in the code (--itq3-profile-ops).
  struct OpSeconds {
    double products = 0, attention = 0;
  };
  /// False for code compiled without the timers.
  bool opSeconds(OpSeconds &out) const;

private:
  struct Call;
  CpuModel(const Bundle &bundle) : bundle_(bundle) {}
  Status prepare();
  Status call(const FunctionInfo &f, uint32_t layer, int64_t rows,
              int64_t pos, const int32_t *tokens, float *x, float *logits);

  const Bundle &bundle_;
  std::unique_ptr<SharedObject> code_;
  std::vector<void *> entries_; // per function of the bundle
  int64_t dim_ = 0, vocab_ = 0, context_ = 0, kvWidth_ = 0, layers_ = 0;
  int64_t prefillRows_ = 0;
  std::vector<float> keyCache_, valueCache_, x_;
  std::vector<std::pair<std::string, double>> profile_;
  std::vector<const double *> opTimers_; // [products, attention] per variant
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_CPUMODEL_H
