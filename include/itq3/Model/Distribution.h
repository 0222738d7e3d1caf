//===- Distribution.h - Reference next-token distributions, cached -*- C++ -*-===//
//
// KL divergence from the reference needs the reference's distribution at
// every scored token; on Qwen2.5 (151936 entries) 8192 full distributions
// would be 5 GB. The cache keeps each one coarsened to its kTopK most
// probable tokens plus one bucket for the rest, so the KL computed against
// it is that of the coarsened distributions: a lower bound of the full KL
// (data-processing inequality) that misses only what moves inside the
// reference's tail (measured: the tail holds a few percent of the mass).
//
// File (little-endian): magic "ITQ3REF\0", u32 version 1, u32 top-k,
// u64 vocab, u64 records, u64 hash of the scored targets; per record:
// top-k i32 ids (most probable first), top-k f32 log-probabilities,
// f32 log of the rest's mass.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_DISTRIBUTION_H
#define ITQ3_MODEL_DISTRIBUTION_H

#include "itq3/Model/Model.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace itq3::model {

constexpr int kTopK = 64;

struct TopDistribution {
  int32_t ids[kTopK];
  float logp[kTopK];
  float logRest; // log of 1 - sum exp(logp); -inf when it is empty
};

/// The distribution of softmax(logits), coarsened.
TopDistribution coarsen(const float *logits, int64_t vocab);
/// KL(reference || softmax(logits)) over the reference's partition (top-k
/// ids one by one, everything else as one bucket), in nats.
double coarseKl(const TopDistribution &ref, const float *logits, int64_t vocab);
/// Index of the largest logit (the first on ties).
int32_t argmax(const float *logits, int64_t vocab);

/// Collects records, then writes them with the hash of the targets.
class ReferenceWriter {
public:
  void add(const TopDistribution &d, int32_t target);
  Status write(const std::string &path, int64_t vocab) const;

private:
  std::vector<TopDistribution> records_;
  std::vector<int32_t> targets_;
};

/// A cached reference, checked: the caller must score the same targets.
class ReferenceReader {
public:
  static Status open(const std::string &path, int64_t vocab, ReferenceReader &out);
  int64_t size() const { return int64_t(records_.size()); }
  const TopDistribution &at(int64_t i) const { return records_[size_t(i)]; }
  /// Fails unless `targets` are those the reference was written for.
  Status checkTargets(const std::vector<int32_t> &targets) const;

private:
  std::string path_;
  std::vector<TopDistribution> records_;
  uint64_t targetHash_ = 0;
};

} // namespace itq3::model

#endif // ITQ3_MODEL_DISTRIBUTION_H
