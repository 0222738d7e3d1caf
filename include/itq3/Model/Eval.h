//===- Eval.h - Perplexity and sampling over the reference forward -*- C++ -*-===//
#ifndef ITQ3_MODEL_EVAL_H
#define ITQ3_MODEL_EVAL_H

#include "itq3/Model/Forward.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace itq3::model {

/// The non-overlapping windows of `ctx` positions that a text is scored
/// (and calibrated) in: BOS first when bos >= 0, then the next tokens of the
/// text; a partial last window is dropped.
struct TextWindows {
  TextWindows(int64_t tokens, int64_t ctx, int32_t bos)
      : bos(bos), textPerWindow(bos >= 0 ? ctx - 1 : ctx),
        count(textPerWindow > 0 ? tokens / textPerWindow : 0) {}

  /// Window w's tokens into `out`.
  void fill(const std::vector<int32_t> &tokens, int64_t w,
            std::vector<int32_t> &out) const {
    out.clear();
    if (bos >= 0)
      out.push_back(bos);
    auto first = tokens.begin() + w * textPerWindow;
    out.insert(out.end(), first, first + textPerWindow);
  }

  int32_t bos;
  int64_t textPerWindow, count;
};

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
/// What evaluation needs of a forward pass, so that the reference
/// (Forward) and a compiled bundle (the runtime's CpuModel) are measured by
/// the same code: run(tokens, n, pos, logits, allLogits) as Forward::run.
struct LanguageModel {
  std::function<Status(const int32_t *, int64_t, int64_t,
                       std::vector<float> &, bool)>
      run;
  int64_t context = 0, vocabSize = 0;
};

/// The reference forward pass as a LanguageModel (`fwd` must outlive it).
LanguageModel languageModel(Forward &fwd);

/// Called for every scored token, in order, with its logits and target.
using TokenObserver =
    std::function<void(const float *logits, int64_t vocab, int32_t target)>;

Status perplexity(const LanguageModel &lm, const std::vector<int32_t> &tokens,
                  int64_t ctx, int32_t bos, PerplexityResult &result,
                  const std::function<void(int64_t, int64_t)> &progress = {},
                  const TokenObserver &onToken = {});

/// The targets perplexity() scores, in order (what a cached reference must
/// have been written for).
std::vector<int32_t> scoredTargets(const std::vector<int32_t> &tokens,
                                   int64_t ctx, int32_t bos);

/// -log softmax(logits)[target], stable.
double negLogLikelihood(const float *logits, int64_t vocab, int32_t target);


} // namespace itq3::model

#endif // ITQ3_MODEL_EVAL_H
