//===- Eval.h - Perplexity and sampling over the reference forward -*- C++ -*-===//
#ifndef ITQ3_MODEL_EVAL_H
#define ITQ3_MODEL_EVAL_H

#include "itq3/Model/Forward.h"

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace itq3::model {

struct PerplexityResult {
  double nll = 0;        // summed negative log-likelihood (nats)
  int64_t scored = 0;    // tokens whose likelihood was measured
  int64_t windows = 0;
  double seconds = 0;
  double perplexity() const;
};

/// Perplexity over non-overlapping windows of `ctx` positions. With bos >= 0
/// each window is BOS + (ctx - 1) text tokens and all text tokens are
/// scored; without, each window is ctx text tokens and all but the first
/// are scored. A last partial window is dropped so every window sees the
/// same context length. Logits are fp32; log-softmax sums in double.
/// progress(done, total) is called after every batch of tokens.
Status perplexity(Forward &fwd, const std::vector<int32_t> &tokens,
                  int64_t ctx, int32_t bos, PerplexityResult &result,
                  const std::function<void(int64_t, int64_t)> &progress = {});

/// -log softmax(logits)[target], stable.
double negLogLikelihood(const float *logits, int64_t vocab, int32_t target);

/// Greedy at temperature 0, else samples from softmax(logits / temp).
int32_t sampleToken(const float *logits, int64_t vocab, float temperature,
                    std::mt19937_64 &rng);

} // namespace itq3::model

#endif // ITQ3_MODEL_EVAL_H
