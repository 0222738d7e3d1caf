//===- TwlaActivations.cpp - TWLA's 4/8-bit activation plan ---------------===//
//
// The activations are calibrated on the model whose weights are already
// ternary, with float activations (each quantizer sees the inputs the
// quantized weights produce, not those of earlier quantized activations:
// one forward pass serves every quantizer). Every quantizer keeps
// `activationSamples` input rows spread evenly over the calibration
// positions; its clip ratio is searched at 4 and at 8 bits against the
// stacked decoded rotated weights of the linears that read it, and the
// bits are allocated by format::allocateBits with cost K per quantizer.
//
//===----------------------------------------------------------------------===//

#include "itq3/Format/LowBitActivations.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/TwlaQuantize.h"

#include <algorithm>

namespace itq3::model {

namespace {

/// Rows of one quantizer's input kept for the search.
struct Samples {
  std::vector<float> rows;
  int64_t count = 0, k = 0;
};

/// The identity as a KronRotation (l = K, r = 1), for rotation=none.
std::shared_ptr<const format::KronRotation> identityRotation(int64_t k) {
  auto rot = std::make_shared<format::KronRotation>();
  rot->l = k;
  rot->r = 1;
  rot->b = {1.0f};
  rot->c.assign(size_t(k * k), 0.0f);
  for (int64_t i = 0; i < k; ++i)
    rot->c[size_t(i * k + i)] = 1.0f;
  return rot;
}

/// Runs the model over the calibration windows and keeps every stride-th
/// position's input of every quantizer.
Status collectSamples(const Model &m, const TwlaQuantization &twla,
                      const std::vector<int32_t> &tokens, int64_t ctx,
                      int32_t bos, unsigned threads,
                      std::map<std::string, Samples> &out) {
  std::unique_ptr<Forward> fwd;
  if (Status s = Forward::create(m, ctx, threads, fwd); !s)
    return s;
  int64_t avail = std::min<int64_t>(int64_t(tokens.size()), twla.activationTokens);
  int64_t perWindow = bos >= 0 ? ctx - 1 : ctx;
  int64_t positions = 0;
  std::vector<std::vector<int32_t>> windows;
  for (int64_t at = 0; at < avail; at += perWindow) {
    std::vector<int32_t> w;
    if (bos >= 0)
      w.push_back(bos);
    w.insert(w.end(), tokens.begin() + at,
             tokens.begin() + std::min(avail, at + perWindow));
    positions += int64_t(w.size());
    windows.push_back(std::move(w));
  }
  if (positions < 1)
    return Status::error("twla: no calibration tokens for the activations");
  int64_t stride = std::max<int64_t>(1, positions / twla.activationSamples);
  int64_t base = 0;
  fwd->setInputObserver([&](int64_t layer, const char *first, const float *in,
                            int64_t rows, int64_t inDim) {
    Samples &s = out[calibrationInput(layerTensor(layer, first))];
    s.k = inDim;
    for (int64_t r = 0; r < rows; ++r)
      if ((base + r) % stride == 0 && s.count < twla.activationSamples) {
        s.rows.insert(s.rows.end(), in + r * inDim, in + (r + 1) * inDim);
        ++s.count;
      }
  });
  std::vector<float> logits;
  for (const std::vector<int32_t> &w : windows) {
    if (Status s = fwd->run(w.data(), int64_t(w.size()), 0, logits, false); !s)
      return s;
    base += int64_t(w.size());
  }
  return Status::success();
}

/// The decoded weights of the input's linears, rotated and stacked.
std::vector<float> rotatedWeights(const Model &m, const TwlaInput &in,
                                  const format::KronRotation &rot,
                                  unsigned threads, int64_t &rows) {
  std::vector<float> w;
  rows = 0;
  for (const std::string &name : in.linears) {
    const Tensor &t = *m.find(name);
    w.insert(w.end(), t.data.begin(), t.data.end());
    rows += t.rows();
  }
  format::kronRotateRows(rot, w.data(), rows, w.data(), false, threads);
  return w;
}

} // namespace

Status planTwlaActivations(const Model &m, const TwlaQuantization &twla,
                           const std::vector<int32_t> &tokens, int64_t ctx,
                           int32_t bos, unsigned threads, TwlaInputs &inputs,
                           ActivationPlan &plan) {
  std::map<std::string, Samples> samples;
  if (Status s = collectSamples(m, twla, tokens, ctx, bos, threads, samples); !s)
    return s;
  std::vector<double> err4, err8, cost;
  std::vector<float> clip4, clip8;
  std::vector<TwlaInput *> planned;
  for (TwlaInput &in : inputs) {
    if (in.rotationKind == "fallback")
      continue; // q8 weights keep float activations here
    Samples &s = samples[in.name];
    if (!in.rotation)
      in.rotation = identityRotation(s.k);
    std::vector<float> x = s.rows;
    format::kronRotateRows(*in.rotation, x.data(), s.count, x.data(), false, threads);
    int64_t n;
    std::vector<float> w = rotatedWeights(m, in, *in.rotation, threads, n);
    std::vector<float> grid = format::defaultClipGrid();
    format::ClipChoice c4 =
        format::searchClipRatio(x.data(), s.count, s.k, w.data(), n, 4, grid, threads);
    format::ClipChoice c8 =
        format::searchClipRatio(x.data(), s.count, s.k, w.data(), n, 8, grid, threads);
    err4.push_back(c4.error);
    err8.push_back(c8.error);
    clip4.push_back(c4.clip);
    clip8.push_back(c8.clip);
    cost.push_back(double(s.k));
    planned.push_back(&in);
  }
  std::vector<int> bits = format::allocateBits(err4, err8, cost, twla.budget);
  plan.clear();
  for (size_t i = 0; i < planned.size(); ++i) {
    TwlaInput &in = *planned[i];
    in.bits = bits[i];
    in.clip = bits[i] == 8 ? clip8[i] : clip4[i];
    in.err4 = err4[i];
    in.err8 = err8[i];
    ActivationQuant q;
    q.kron = in.rotation;
    q.bits = in.bits;
    q.clip = in.clip;
    for (const std::string &name : in.linears)
      plan[name] = q;
  }
  return Status::success();
}

} // namespace itq3::model
