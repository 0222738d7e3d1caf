//===- Distribution.cpp - Reference next-token distributions, cached ------===//

#include "itq3/Model/Distribution.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace itq3::model {

namespace {

constexpr char kMagic[8] = {'I', 'T', 'Q', '3', 'R', 'E', 'F', '\0'};
constexpr uint32_t kVersion = 1;

double logSumExp(const float *logits, int64_t vocab, float &mx) {
  mx = *std::max_element(logits, logits + vocab);
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i)
    total += std::exp(double(logits[i] - mx));
  return std::log(total);
}

uint64_t hashTargets(const std::vector<int32_t> &t) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t v : t)
    for (int b = 0; b < 4; ++b)
      h = (h ^ ((uint32_t(v) >> (8 * b)) & 0xff)) * 0x100000001b3ull;
  return h;
}

/// log(1 - exp(a)) for a <= 0, stable near 0; -inf for a == 0.
double log1mExp(double a) {
  if (a >= 0)
    return -std::numeric_limits<double>::infinity();
  return a > -0.693 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a));
}

template <class T> void put(std::ostream &os, const T &v) {
  os.write(reinterpret_cast<const char *>(&v), sizeof v);
}
template <class T> bool get(std::istream &is, T &v) {
  return bool(is.read(reinterpret_cast<char *>(&v), sizeof v));
}

} // namespace

int32_t argmax(const float *logits, int64_t vocab) {
  return int32_t(std::max_element(logits, logits + vocab) - logits);
}

TopDistribution coarsen(const float *logits, int64_t vocab) {
  TopDistribution d;
  float mx;
  double lse = logSumExp(logits, vocab, mx);
  std::vector<int32_t> ids(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < vocab; ++i)
    ids[size_t(i)] = int32_t(i);
  int k = int(std::min<int64_t>(kTopK, vocab));
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int32_t a, int32_t b) {
                      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
                    });
  double topLog = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < kTopK; ++i) {
    bool real = i < k;
    d.ids[i] = real ? ids[size_t(i)] : -1;
    d.logp[i] = real ? float(double(logits[ids[size_t(i)]] - mx) - lse)
                     : -std::numeric_limits<float>::infinity();
    if (real) { // log-add
      double a = topLog, b = d.logp[i];
      double hi = std::max(a, b);
      topLog = hi + std::log(std::exp(a - hi) + std::exp(b - hi));
    }
  }
  d.logRest = float(log1mExp(std::min(0.0, topLog)));
  return d;
}

double coarseKl(const TopDistribution &ref, const float *logits, int64_t vocab) {
  float mx;
  double lse = logSumExp(logits, vocab, mx);
  double kl = 0, qTop = 0;
  for (int i = 0; i < kTopK && ref.ids[i] >= 0; ++i) {
    double logq = double(logits[ref.ids[i]] - mx) - lse;
    qTop += std::exp(logq);
    double logp = ref.logp[i];
    kl += std::exp(logp) * (logp - logq);
  }
  if (std::isfinite(ref.logRest)) {
    double qRest = std::max(1.0 - qTop, 1e-30);
    kl += std::exp(double(ref.logRest)) * (double(ref.logRest) - std::log(qRest));
  }
  return std::max(kl, 0.0); // rounding can leave a tiny negative
}

void ReferenceWriter::add(const TopDistribution &d, int32_t target) {
  records_.push_back(d);
  targets_.push_back(target);
}

Status ReferenceWriter::write(const std::string &path, int64_t vocab) const {
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  os.write(kMagic, sizeof kMagic);
  put(os, kVersion);
  put(os, uint32_t(kTopK));
  put(os, uint64_t(vocab));
  put(os, uint64_t(records_.size()));
  put(os, hashTargets(targets_));
  for (const TopDistribution &d : records_)
    put(os, d);
  os.close();
  return os ? Status::success() : Status::error(path + ": write failed");
}

Status ReferenceReader::open(const std::string &path, int64_t vocab,
                             ReferenceReader &out) {
  auto fail = [&](const std::string &why) { return Status::error(path + ": " + why); };
  std::ifstream is(path, std::ios::binary);
  if (!is)
    return fail("cannot open the reference distributions");
  char magic[8];
  uint32_t version, topK;
  uint64_t fileVocab, count;
  ReferenceReader r;
  r.path_ = path;
  if (!is.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    return fail("not a reference distribution file (bad magic)");
  if (!get(is, version) || !get(is, topK) || !get(is, fileVocab) ||
      !get(is, count) || !get(is, r.targetHash_))
    return fail("truncated header");
  if (version != kVersion || topK != uint32_t(kTopK))
    return fail("version " + std::to_string(version) + " / top-" +
                std::to_string(topK) + "; this build reads version " +
                std::to_string(kVersion) + " / top-" + std::to_string(kTopK));
  if (fileVocab != uint64_t(vocab))
    return fail("written for a vocabulary of " + std::to_string(fileVocab) +
                ", this model has " + std::to_string(vocab));
  if (count > (1u << 24))
    return fail("implausible record count");
  r.records_.resize(size_t(count));
  for (TopDistribution &d : r.records_)
    if (!get(is, d))
      return fail("truncated after " + std::to_string(&d - r.records_.data()) +
                  " of " + std::to_string(count) + " records");
  out = std::move(r);
  return Status::success();
}

Status ReferenceReader::checkTargets(const std::vector<int32_t> &targets) const {
  if (targets.size() != records_.size() || hashTargets(targets) != targetHash_)
    return Status::error(path_ + ": written for other scored tokens (" +
                         std::to_string(records_.size()) + " records; this run "
                         "scores " + std::to_string(targets.size()) +
                         "): use the same text, --ctx and --max-tokens");
  return Status::success();
}

} // namespace itq3::model
