//===- Sampler.h - Next-token choice from logits ----------------*- C++ -*-===//
#ifndef ITQ3_RUNTIME_SAMPLER_H
#define ITQ3_RUNTIME_SAMPLER_H

#include <cstdint>

namespace itq3::rt {

struct SamplerOptions {
  float temperature = 0.0f; // 0: greedy (argmax)
  float topP = 1.0f;        // nucleus: smallest set whose mass >= topP
  uint64_t seed = 0;
};

/// Deterministic for a given seed and sequence of logits.
class Sampler {
public:
  explicit Sampler(SamplerOptions options);
  int32_t sample(const float *logits, int64_t vocab);

private:
  double uniform(); // [0, 1)
  SamplerOptions options_;
  uint64_t state_;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_SAMPLER_H
