//===- Forward.h - Reference forward pass of a Llama-family model -*- C++ -*-===//
//
// Plain fp32 C++: RMSNorm, RoPE with the model's base, grouped-query
// attention over a KV cache, SwiGLU, output head. It is the numerical
// reference the compiled model is checked against, so clarity comes first;
// the matmuls are blocked and threaded only enough to make perplexity runs
// over real models practical on a small machine.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_FORWARD_H
#define ITQ3_MODEL_FORWARD_H

#include "itq3/Model/ActivationPlan.h"
#include "itq3/Model/Model.h"
#include "itq3/Model/ThreadPool.h"

#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

namespace itq3::model {

class Forward {
public:
  static constexpr const char *kOutputHead = "output.weight";

  /// `model` must outlive the Forward (weights are read in place).
  /// context = 0 means the model's trained sequence length.
  static Status create(const Model &model, int64_t context, unsigned threads,
                       std::unique_ptr<Forward> &out);

  /// Runs tokens[0..n) at positions pos..pos+n-1, appending to the KV cache
  /// (positions before pos must already be there). Writes n rows of
  /// vocabSize logits when allLogits, else only the last row.
  Status run(const int32_t *tokens, int64_t n, int64_t pos,
             std::vector<float> &logits, bool allLogits);

  /// From now on feeds every linear of `plan` the int8 activations the
  /// compiled model computes (ActivationPlan.h): its input rows x become
  /// R^-1 deq(Q(R x)) before the matmul with the (decoded) weight; with a
  /// Kronecker rotation (twla) R^T deq(Q(R x)), Q per token at 4 or 8 bits. An empty
  /// plan turns this off. Fails, changing nothing, for a name that is not a
  /// linear of the model or whose K the int8 path cannot take (a multiple
  /// of 32; of 256 when rotating). The output head is named kOutputHead,
  /// whichever tensor it reads.
  Status setActivationQuantization(ActivationPlan plan);
  const ActivationPlan &activationQuantization() const { return actPlan_; }

  /// Called by every group of linears that read one input, with that input
  /// (rows x inDim, before any activation quantization) and the name of the
  /// group's first linear ("attn_q", "attn_output", "ffn_gate",
  /// "ffn_down"): what calibration collects statistics from.
  using InputObserver = std::function<void(int64_t layer, const char *first,
                                           const float *in, int64_t rows,
                                           int64_t inDim)>;
  void setInputObserver(InputObserver observer) { observer_ = std::move(observer); }

  /// One layer at a time, for calibration: the token embeddings of
  /// tokens[0..n) into hidden[n x dim], and layer `layer` applied in place to
  /// hidden states at positions pos..pos+n-1 (that layer's KV cache holds the
  /// positions before pos).
  Status embed(const int32_t *tokens, int64_t n, float *hidden) const;
  Status runLayer(int64_t layer, float *hidden, int64_t n, int64_t pos);

  int64_t context() const { return context_; }
  const ModelConfig &config() const { return model_.config; }
  unsigned threads() const { return pool_.size(); }

private:
  Forward(const Model &model, int64_t context, unsigned threads);
  /// One linear of a layer reading the shared input of a project() call.
  struct Projection {
    const char *what; // "attn_q", ...
    int64_t outDim;
    float *out;
  };
  Status checkPositions(int64_t n, int64_t pos) const;
  void resize(int64_t n);
  /// Layer l on x_ (n rows) in place.
  void layer(int64_t l, int64_t n, int64_t pos);
  void attention(int64_t layer, int64_t n, int64_t pos);
  /// Runs the linears that read the same `in` (rows x inDim).
  void project(int64_t layer, const float *in, int64_t rows, int64_t inDim,
               std::initializer_list<Projection> outs);
  void quantizeInput(const float *in, int64_t rows, int64_t inDim,
                     const ActivationQuant &how);
  const float *weight(const std::string &name) const;

  const Model &model_;
  int64_t context_;
  ThreadPool pool_;
  std::vector<float> keyCache_, valueCache_; // [layer][pos][kvDim]
  // Activations for the current batch of tokens.
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_;
  ActivationPlan actPlan_;
  std::vector<float> quantizedIn_; // a linear's input as the int8 path sees it
  InputObserver observer_;
};

/// The building blocks, exposed so tests can check them one by one.
void rmsNorm(const float *x, const float *w, int64_t dim, float eps, float *out);
/// Rotates one head vector in place for position pos.
void applyRope(float *v, int64_t headDim, int64_t pos, float base, bool halves);
/// In-place numerically stable softmax.
void softmax(float *x, int64_t n);

} // namespace itq3::model

#endif // ITQ3_MODEL_FORWARD_H
