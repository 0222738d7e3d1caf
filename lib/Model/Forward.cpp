//===- Forward.cpp - Reference forward pass of a Llama-family model -------===//

#include "itq3/Model/Forward.h"
#include "Matmul.h"
#include "itq3/Format/ActivationQuant.h"
#include "itq3/Format/FWHT.h"
#include "itq3/Format/LowBitActivations.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace itq3::model {

void rmsNorm(const float *x, const float *w, int64_t dim, float eps,
             float *out) {
  double ss = 0;
  for (int64_t i = 0; i < dim; ++i)
    ss += double(x[i]) * x[i];
  float scale = float(1.0 / std::sqrt(ss / double(dim) + eps));
  for (int64_t i = 0; i < dim; ++i)
    out[i] = w[i] * (x[i] * scale);
}

void applyRope(float *v, int64_t headDim, int64_t pos, float base,
               bool halves) {
  int64_t half = headDim / 2;
  for (int64_t i = 0; i < half; ++i) {
    // Pair i turns at frequency base^(-2i / headDim).
    double freq = std::pow(double(base), -2.0 * double(i) / double(headDim));
    double angle = double(pos) * freq;
    float c = float(std::cos(angle)), s = float(std::sin(angle));
    float *a = halves ? &v[i] : &v[2 * i];
    float *b = halves ? &v[i + half] : &v[2 * i + 1];
    float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
  }
}

void softmax(float *x, int64_t n) {
  float mx = *std::max_element(x, x + n);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    total += x[i];
  }
  float inv = float(1.0 / total);
  for (int64_t i = 0; i < n; ++i)
    x[i] *= inv;
}

Forward::Forward(const Model &model, int64_t context, unsigned threads)
    : model_(model), context_(context), pool_(threads) {}

Status Forward::create(const Model &model, int64_t context, unsigned threads,
                       std::unique_ptr<Forward> &out) {
  if (Status s = model.validate(); !s)
    return s;
  const ModelConfig &c = model.config;
  if (context <= 0)
    context = c.seqLen;
  if (context > c.seqLen)
    return Status::error("context " + std::to_string(context) +
                         " exceeds the model's sequence length " +
                         std::to_string(c.seqLen));
  size_t cache = size_t(c.nLayers * context * c.nKvHeads * c.headDim);
  // The project builds without exceptions, so a failed allocation would
  // abort: refuse a cache that cannot fit in physical memory instead.
  uint64_t bytes = 2 * uint64_t(cache) * sizeof(float);
  uint64_t memory = uint64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  if (bytes > memory)
    return Status::error("a KV cache of " + std::to_string(bytes >> 20) +
                         " MiB for a context of " + std::to_string(context) +
                         " positions does not fit in memory: use a smaller "
                         "--ctx");
  out.reset(new Forward(model, context, threads));
  out->keyCache_.assign(cache, 0.0f);
  out->valueCache_.assign(cache, 0.0f);
  return Status::success();
}

const float *Forward::weight(const std::string &name) const {
  return model_.find(name)->data.data();
}

Status Forward::setActivationQuantization(ActivationPlan plan) {
  for (const auto &[name, how] : plan) {
    bool linear = name == kOutputHead;
    for (int64_t l = 0; l < model_.config.nLayers && !linear; ++l)
      for (const char *what : linearNames())
        linear = linear || name == layerTensor(l, what);
    if (!linear)
      return Status::error("activation quantization names '" + name +
                           "', which is not a linear of the model");
    int64_t k = name == kOutputHead ? model_.config.dim
                                    : model_.find(name)->cols();
    if (how.kron) {
      if (how.kron->size() != k || (how.bits != 4 && how.bits != 8))
        return Status::error(name + ": a Kronecker rotation of " +
                             std::to_string(how.kron->size()) + " and " +
                             std::to_string(how.bits) +
                             "-bit activations for K = " + std::to_string(k));
      continue;
    }
    if (how.rotationBlock && !format::isFwhtSize(how.rotationBlock))
      return Status::error(name + ": no FWHT of size " +
                           std::to_string(how.rotationBlock) + " (64 or 256)");
    int64_t block = how.rotationBlock ? how.rotationBlock : format::kActivationGroup;
    if (k % block != 0)
      return Status::error(name + ": K = " + std::to_string(k) +
                           " is not a multiple of " + std::to_string(block) +
                           ", so its input cannot be quantized as planned");
  }
  actPlan_ = std::move(plan);
  return Status::success();
}

void Forward::quantizeInput(const float *in, int64_t rows, int64_t inDim,
                            const ActivationQuant &how) {
  quantizedIn_.resize(size_t(rows * inDim));
  if (how.kron) {
    // What W_decoded sees of W'_stored . deq(Q(R x)): R^T deq(Q(R x)).
    pool_.parallelFor(rows, [&](int64_t r0, int64_t r1) {
      std::vector<float> v(static_cast<size_t>(inDim));
      for (int64_t r = r0; r < r1; ++r) {
        format::kronRotate(*how.kron, in + r * inDim, v.data());
        format::quantizeTokenAsymmetric(v.data(), inDim, how.bits, how.clip,
                                        v.data());
        format::kronUnrotate(*how.kron, v.data(), quantizedIn_.data() + r * inDim);
      }
    });
    return;
  }
  pool_.parallelFor(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      format::quantizeActivationRow(in + r * inDim, inDim, how.rotationBlock, how.seed,
                                    quantizedIn_.data() + r * inDim);
  });
}

void Forward::project(int64_t layer, const float *in, int64_t rows,
                      int64_t inDim, std::initializer_list<Projection> outs) {
  // Observed before any activation quantization: calibration wants what
  // the reference linear reads.
  if (observer_)
    observer_(layer, outs.begin()->what, in, rows, inDim);
  // Linears sharing an input (Q/K/V, gate/up) almost always share a format:
  // the input is quantized again only when the way to quantize it changes.
  const ActivationQuant *quantized = nullptr;
  for (const Projection &p : outs) {
    std::string name = layerTensor(layer, p.what);
    const float *x = in;
    if (auto it = actPlan_.find(name); it != actPlan_.end()) {
      const ActivationQuant &how = it->second;
      if (!quantized || !(*quantized == how)) {
        quantizeInput(in, rows, inDim, how);
        quantized = &how;
      }
      x = quantizedIn_.data();
    }
    matmulTransposed(pool_, x, rows, weight(name), p.outDim, inDim, p.out);
  }
}

/// Causal grouped-query attention for the n new tokens, reading the cache.
void Forward::attention(int64_t layer, int64_t n, int64_t pos) {
  const ModelConfig &c = model_.config;
  int64_t hd = c.headDim, kvDim = c.nKvHeads * hd, qDim = c.nHeads * hd;
  int64_t group = c.nHeads / c.nKvHeads;
  const float *keys = keyCache_.data() + layer * context_ * kvDim;
  const float *values = valueCache_.data() + layer * context_ * kvDim;
  float scale = 1.0f / std::sqrt(float(hd));
  pool_.parallelFor(n * c.nHeads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(size_t(pos + n));
    for (int64_t task = begin; task < end; ++task) {
      int64_t t = task / c.nHeads, h = task % c.nHeads;
      int64_t last = pos + t; // attends to positions 0..last
      const float *q = q_.data() + t * qDim + h * hd;
      int64_t kvOff = (h / group) * hd;
      for (int64_t p = 0; p <= last; ++p)
        scores[size_t(p)] = dot(q, keys + p * kvDim + kvOff, hd) * scale;
      softmax(scores.data(), last + 1);
      float *o = att_.data() + t * qDim + h * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t p = 0; p <= last; ++p)
        axpy(scores[size_t(p)], values + p * kvDim + kvOff, o, hd);
    }
  });
}

Status Forward::checkPositions(int64_t n, int64_t pos) const {
  if (n <= 0 || pos < 0 || pos + n > context_)
    return Status::error("positions " + std::to_string(pos) + ".." +
                         std::to_string(pos + n - 1) +
                         " do not fit the context of " +
                         std::to_string(context_));
  return Status::success();
}

void Forward::resize(int64_t n) {
  const ModelConfig &c = model_.config;
  int64_t dim = c.dim, hd = c.headDim, hidden = c.hiddenDim;
  int64_t qDim = c.nHeads * hd, kvDim = c.nKvHeads * hd;
  x_.resize(size_t(n * dim));
  xb_.resize(size_t(n * std::max(dim, qDim)));
  q_.resize(size_t(n * qDim));
  k_.resize(size_t(n * kvDim));
  v_.resize(size_t(n * kvDim));
  att_.resize(size_t(n * qDim));
  gate_.resize(size_t(n * hidden));
  up_.resize(size_t(n * hidden));
}

Status Forward::embed(const int32_t *tokens, int64_t n, float *hidden) const {
  const ModelConfig &c = model_.config;
  for (int64_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || tokens[t] >= c.vocabSize)
      return Status::error("token id " + std::to_string(tokens[t]) +
                           " outside the vocabulary of " +
                           std::to_string(c.vocabSize));
  const float *table = weight("token_embd.weight");
  for (int64_t t = 0; t < n; ++t)
    std::copy_n(table + tokens[t] * c.dim, c.dim, hidden + t * c.dim);
  return Status::success();
}

Status Forward::runLayer(int64_t l, float *hidden, int64_t n, int64_t pos) {
  if (l < 0 || l >= model_.config.nLayers)
    return Status::error("layer " + std::to_string(l) + " out of range");
  if (Status s = checkPositions(n, pos); !s)
    return s;
  resize(n);
  std::copy_n(hidden, n * model_.config.dim, x_.data());
  layer(l, n, pos);
  std::copy_n(x_.data(), n * model_.config.dim, hidden);
  return Status::success();
}

void Forward::layer(int64_t l, int64_t n, int64_t pos) {
  const ModelConfig &c = model_.config;
  int64_t dim = c.dim, hd = c.headDim, hidden = c.hiddenDim;
  int64_t qDim = c.nHeads * hd, kvDim = c.nKvHeads * hd;
  auto addBias = [&](float *v, int64_t width, const char *what) {
    if (!c.qkvBias)
      return;
    const float *b = weight(layerTensor(l, what, "bias"));
    for (int64_t t = 0; t < n; ++t)
      for (int64_t i = 0; i < width; ++i)
        v[t * width + i] += b[i];
  };

  const float *attnNorm = weight(layerTensor(l, "attn_norm"));
  for (int64_t t = 0; t < n; ++t)
    rmsNorm(&x_[t * dim], attnNorm, dim, c.normEps, &xb_[t * dim]);
  project(l, xb_.data(), n, dim,
          {{"attn_q", qDim, q_.data()},
           {"attn_k", kvDim, k_.data()},
           {"attn_v", kvDim, v_.data()}});
  addBias(q_.data(), qDim, "attn_q");
  addBias(k_.data(), kvDim, "attn_k");
  addBias(v_.data(), kvDim, "attn_v");
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t h = 0; h < c.nHeads; ++h)
      applyRope(&q_[t * qDim + h * hd], hd, pos + t, c.ropeBase, c.ropeHalves);
    for (int64_t h = 0; h < c.nKvHeads; ++h)
      applyRope(&k_[t * kvDim + h * hd], hd, pos + t, c.ropeBase, c.ropeHalves);
    size_t slot = size_t((l * context_ + pos + t) * kvDim);
    std::copy_n(&k_[t * kvDim], kvDim, &keyCache_[slot]);
    std::copy_n(&v_[t * kvDim], kvDim, &valueCache_[slot]);
  }
  attention(l, n, pos);
  project(l, att_.data(), n, qDim, {{"attn_output", dim, xb_.data()}});
  for (int64_t i = 0; i < n * dim; ++i)
    x_[i] += xb_[i];

  const float *ffnNorm = weight(layerTensor(l, "ffn_norm"));
  for (int64_t t = 0; t < n; ++t)
    rmsNorm(&x_[t * dim], ffnNorm, dim, c.normEps, &xb_[t * dim]);
  project(l, xb_.data(), n, dim,
          {{"ffn_gate", hidden, gate_.data()}, {"ffn_up", hidden, up_.data()}});
  for (int64_t i = 0; i < n * hidden; ++i) {
    float g = gate_[i];
    gate_[i] = g / (1.0f + std::exp(-g)) * up_[i]; // SiLU(gate) * up
  }
  project(l, gate_.data(), n, hidden, {{"ffn_down", dim, xb_.data()}});
  for (int64_t i = 0; i < n * dim; ++i)
    x_[i] += xb_[i];
}

Status Forward::run(const int32_t *tokens, int64_t n, int64_t pos,
                    std::vector<float> &logits, bool allLogits) {
  const ModelConfig &c = model_.config;
  if (Status s = checkPositions(n, pos); !s)
    return s;
  resize(n);
  if (Status s = embed(tokens, n, x_.data()); !s)
    return s;
  for (int64_t l = 0; l < c.nLayers; ++l)
    layer(l, n, pos);

  int64_t dim = c.dim;
  int64_t first = allLogits ? 0 : n - 1, rows = n - first;
  const float *outNorm = weight("output_norm.weight");
  for (int64_t t = first; t < n; ++t)
    rmsNorm(&x_[t * dim], outNorm, dim, c.normEps, &xb_[(t - first) * dim]);
  logits.resize(size_t(rows * c.vocabSize));
  const float *head = xb_.data();
  if (auto it = actPlan_.find(kOutputHead); it != actPlan_.end()) {
    quantizeInput(xb_.data(), rows, dim, it->second);
    head = quantizedIn_.data();
  }
  matmulTransposed(pool_, head, rows, model_.outputWeight().data.data(),
                   c.vocabSize, dim, logits.data());
  return Status::success();
}

} // namespace itq3::model
