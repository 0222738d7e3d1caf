//===- Eval.cpp - Perplexity and sampling over the reference forward ------===//

#include "itq3/Model/Eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace itq3::model {

double PerplexityResult::perplexity() const {
  return scored ? std::exp(nll / double(scored)) : 0.0;
}

double negLogLikelihood(const float *logits, int64_t vocab, int32_t target) {
  float mx = *std::max_element(logits, logits + vocab);
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i)
    total += std::exp(double(logits[i] - mx));
  return std::log(total) - double(logits[target] - mx);
}

LanguageModel languageModel(Forward &fwd) {
  LanguageModel lm;
  lm.run = [&fwd](const int32_t *tokens, int64_t n, int64_t pos,
                  std::vector<float> &logits, bool all) {
    return fwd.run(tokens, n, pos, logits, all);
  };
  lm.context = fwd.context();
  lm.vocabSize = fwd.config().vocabSize;
  return lm;
}

Status perplexity(const LanguageModel &lm, const std::vector<int32_t> &tokens,
                  int64_t ctx, int32_t bos, PerplexityResult &result,
                  const std::function<void(int64_t, int64_t)> &progress,
                  const TokenObserver &onToken) {
  result = PerplexityResult();
  if (ctx < 2 || ctx > lm.context)
    return Status::error("perplexity context " + std::to_string(ctx) +
                         " must be in [2, " + std::to_string(lm.context) +
                         "]");
  TextWindows text(int64_t(tokens.size()), ctx, bos);
  int64_t textPerWindow = text.textPerWindow, windows = text.count;
  if (windows == 0)
    return Status::error("text has " + std::to_string(tokens.size()) +
                         " tokens, fewer than one window of " +
                         std::to_string(textPerWindow));
  // Batches bound the logits buffer (batch x vocab) for large vocabularies.
  constexpr int64_t batch = 128;
  int64_t vocab = lm.vocabSize;
  auto start = std::chrono::steady_clock::now();
  std::vector<float> logits;
  std::vector<int32_t> window;
  for (int64_t w = 0; w < windows; ++w) {
    text.fill(tokens, w, window);
    for (int64_t pos = 0; pos < ctx; pos += batch) {
      int64_t n = std::min(batch, ctx - pos);
      if (Status s = lm.run(&window[size_t(pos)], n, pos, logits, true); !s)
        return s;
      for (int64_t t = 0; t < n && pos + t + 1 < ctx; ++t) {
        const float *row = &logits[size_t(t * vocab)];
        int32_t target = window[size_t(pos + t + 1)];
        result.nll += negLogLikelihood(row, vocab, target);
        if (onToken)
          onToken(row, vocab, target);
        result.scored += 1;
      }
      if (progress)
        progress(w * ctx + pos + n, windows * ctx);
    }
    result.windows += 1;
  }
  result.seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  return Status::success();
}

std::vector<int32_t> scoredTargets(const std::vector<int32_t> &tokens,
                                   int64_t ctx, int32_t bos) {
  std::vector<int32_t> out;
  TextWindows text(int64_t(tokens.size()), ctx, bos);
  for (int64_t w = 0; w < text.count; ++w)
    // With BOS every text token is a target; without, all but the first.
    for (int64_t i = bos >= 0 ? 0 : 1; i < text.textPerWindow; ++i)
      out.push_back(tokens[size_t(w * text.textPerWindow + i)]);
  return out;
}

} // namespace itq3::model
