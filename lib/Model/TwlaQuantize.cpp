//===- TwlaQuantize.cpp - TWLA weights for a whole model ------------------===//
//
// Per layer and per input (the linears that read it): the rotation (fixed,
// learned, or the better of the two), the rotated statistic R H R^T, then
// every linear of the input encoded in the rotated domain, decoded and
// rotated back into the model.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/TwlaQuantize.h"

#include "itq3/Format/Codec.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace itq3::model {

namespace {

/// The inputs of a layer and their linears, in linearNames() order.
const std::vector<std::pair<const char *, std::vector<const char *>>> &layerInputs() {
  static const std::vector<std::pair<const char *, std::vector<const char *>>> v = {
      {"attn_in", {"attn_q", "attn_k", "attn_v"}},
      {"attn_output_in", {"attn_output"}},
      {"ffn_in", {"ffn_gate", "ffn_up"}},
      {"ffn_down_in", {"ffn_down"}}};
  return v;
}

Status applyOption(const std::string &key, const std::string &value,
                   TwlaQuantization &out) {
  char *end = nullptr;
  auto integer = [&](int64_t &dst, int64_t min) {
    dst = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end || dst < min)
      return Status::error("twla: " + key + " must be an integer >= " +
                           std::to_string(min) + ", not '" + value + "'");
    return Status::success();
  };
  int64_t n = 0;
  if (key == "rotation") {
    static const std::map<std::string, TwlaRotation> kinds = {
        {"none", TwlaRotation::None}, {"fixed", TwlaRotation::Fixed},
        {"learned", TwlaRotation::Learned}, {"best", TwlaRotation::Best}};
    auto it = kinds.find(value);
    if (it == kinds.end())
      return Status::error("twla: rotation is none, fixed, learned or best, not '" +
                           value + "'");
    out.rotation = it->second;
  } else if (key == "act") {
    if (value != "16" && value != "4")
      return Status::error("twla: act is 16 (float) or 4 (4/8-bit mixed), not '" +
                           value + "'");
    out.activationBits = value == "4" ? 4 : 16;
  } else if (key == "budget") {
    out.budget = std::strtod(value.c_str(), &end);
    if (value.empty() || *end || out.budget < 4 || out.budget > 8)
      return Status::error("twla: budget is the mean activation bits, in [4, 8], "
                           "not '" + value + "'");
  } else if (key == "group") {
    if (Status s = integer(out.params.group, 2); !s)
      return s;
  } else if (key == "coupling") {
    if (value != "full" && value != "block" && value != "none")
      return Status::error("twla: coupling is full, block or none, not '" + value + "'");
    out.params.coupling = value == "full"    ? format::TwlaCoupling::Full
                          : value == "block" ? format::TwlaCoupling::Block
                                             : format::TwlaCoupling::None;
  } else if (key == "feedback") {
    return parseOnOff("twla", key, value, out.params.feedback);
  } else if (key == "steps") {
    if (Status s = integer(n, 0); !s)
      return s;
    out.kotms.steps = int(n);
  } else if (key == "seed") {
    if (Status s = integer(n, 0); !s)
      return s;
    out.seed = uint64_t(n);
  } else if (key == "tokens") {
    return integer(out.activationTokens, 2);
  } else if (key == "samples") {
    return integer(out.activationSamples, 1);
  } else {
    return Status::error("twla: unknown option '" + key +
                         "' (rotation, act, budget, group, coupling, feedback, steps, "
                         "seed, tokens, samples)");
  }
  return Status::success();
}

/// rows x K of the input's linears, stacked.
std::vector<float> stackedWeights(const Model &m, int64_t layer,
                                  const std::vector<const char *> &linears,
                                  int64_t &rows) {
  std::vector<float> w;
  rows = 0;
  for (const char *what : linears) {
    const Tensor &t = *m.find(layerTensor(layer, what));
    w.insert(w.end(), t.data.begin(), t.data.end());
    rows += t.rows();
  }
  return w;
}

/// Chooses the rotation of one input from its stacked weights.
void chooseRotation(const TwlaQuantization &twla, const std::vector<float> &w,
                    int64_t rows, int64_t k, uint64_t seed, unsigned threads,
                    TwlaInput &in) {
  if (twla.rotation == TwlaRotation::None) {
    in.rotationKind = "none";
    return;
  }
  format::KronRotation fixed = format::fixedKronRotation(k, seed);
  in.fixedLoss = format::ternaryFitLoss(fixed, w.data(), rows, twla.params, threads);
  if (twla.rotation == TwlaRotation::Fixed) {
    in.rotation = std::make_shared<format::KronRotation>(std::move(fixed));
    in.rotationKind = "fixed";
    return;
  }
  format::KotmsOptions ko = twla.kotms;
  ko.seed = seed;
  format::KotmsResult learned =
      format::learnKronRotation(w.data(), rows, fixed, twla.params, ko);
  in.accepted = learned.accepted;
  in.learnedLoss =
      format::ternaryFitLoss(learned.rotation, w.data(), rows, twla.params, threads);
  // "best": the learned one only where it fits all rows (not only its
  // sample) better.
  bool useLearned = twla.rotation == TwlaRotation::Learned ||
                    in.learnedLoss < in.fixedLoss;
  in.rotation = std::make_shared<format::KronRotation>(
      useLearned ? std::move(learned.rotation) : std::move(fixed));
  in.rotationKind = useLearned ? "learned" : "fixed";
}

/// ||a - b|| / ||a||.
double relativeError(const std::vector<float> &a, const std::vector<float> &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(a[i]) * a[i];
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

/// One linear through the format, decoded and rotated back in place.
Status roundTripLinear(Tensor &t, const TwlaInput &in, const TwlaQuantization &twla,
                       const std::vector<float> &h, unsigned threads,
                       TensorReport &tr) {
  int64_t rows = t.rows(), k = t.cols();
  std::vector<float> w = t.data;
  if (in.rotation)
    format::kronRotateRows(*in.rotation, w.data(), rows, w.data(), false, threads);
  std::vector<uint8_t> packed;
  if (Status s = format::encodeTwla(w.data(), rows, k, twla.params, h.data(),
                                    threads, packed);
      !s)
    return s;
  std::vector<float> back(w.size());
  if (Status s = format::decodeTwla(packed.data(), rows, k, twla.params.group,
                                    back.data(), threads);
      !s)
    return s;
  if (in.rotation)
    format::kronRotateRows(*in.rotation, back.data(), rows, back.data(), true, threads);
  tr.relError = relativeError(t.data, back);
  tr.bits = 8.0 * double(packed.size());
  t.data = std::move(back);
  return Status::success();
}

/// q8 (or f16) for a linear the groups do not divide.
Status fallBack(Tensor &t, unsigned threads, TensorReport &tr) {
  auto codec = format::createCodec(fittingFormat(format::FormatKind::Q8, t.cols()));
  std::vector<uint8_t> packed(size_t(codec->matrixBytes(t.rows(), t.cols())));
  format::EncodeOptions eo;
  eo.threads = threads;
  if (Status s = codec->encodeRows(t.data.data(), t.rows(), t.cols(), packed.data(), eo); !s)
    return s;
  std::vector<float> back(t.data.size());
  if (Status s = codec->decodeRows(packed.data(), t.rows(), t.cols(), back.data(), threads); !s)
    return s;
  tr.relError = relativeError(t.data, back);
  tr.bits = 8.0 * double(packed.size());
  tr.format = std::string(codec->name());
  tr.fallback = true;
  t.data = std::move(back);
  t.sourceType = tr.format;
  return Status::success();
}

/// All linears of one input of one layer.
Status quantizeInput(Model &m, int64_t layer, int index, const char *input,
                     const std::vector<const char *> &linears,
                     const TwlaQuantization &twla, const CalibrationStats &stats,
                     unsigned threads, QuantReport &report, TwlaInput &in) {
  in.name = "blk." + std::to_string(layer) + "." + input;
  for (const char *what : linears)
    in.linears.push_back(layerTensor(layer, what));
  int64_t k = m.find(in.linears.front())->cols();
  bool fits = k % twla.params.group == 0;
  std::vector<float> h;
  if (fits) {
    int64_t rows;
    std::vector<float> w = stackedWeights(m, layer, linears, rows);
    // Each layer and input its own random factors.
    uint64_t seed = twla.seed * 1000003u + uint64_t(layer) * 8 + uint64_t(index);
    chooseRotation(twla, w, rows, k, seed, threads, in);
    if (Status s = stats.load(in.name, h); !s)
      return s;
    if (h.size() != size_t(k * k))
      return Status::error(in.name + ": its calibration statistic does not have K = " +
                           std::to_string(k));
    if (in.rotation)
      h = format::kronRotateGram(*in.rotation, h, threads);
    format::dampenGram(h, k, twla.params.dampening);
  }
  for (size_t i = 0; i < linears.size(); ++i) {
    Tensor &t = *m.find(in.linears[i]);
    TensorReport tr{in.linears[i], "twla", t.numel(), 0, false};
    Status s = fits ? roundTripLinear(t, in, twla, h, threads, tr)
                    : fallBack(t, threads, tr);
    if (!s)
      return Status::error(in.linears[i] + ": " + s.message());
    if (fits && i == 0 && in.rotationKind == "learned") // its factors, fp32
      tr.bits += 32.0 * double(in.rotation->l * in.rotation->l +
                               in.rotation->r * in.rotation->r);
    if (fits) {
      tr.format = "twla g" + std::to_string(twla.params.group) + " " + in.rotationKind;
      t.sourceType = "twla";
    }
    report.linearWeights += tr.weights;
    report.linearBits += tr.bits;
    report.linears.push_back(tr);
  }
  if (!fits)
    in.rotationKind = "fallback";
  return Status::success();
}

} // namespace

bool isTwlaSpec(const std::string &spec) { return isSpecOf(spec, "twla"); }

Status parseTwlaQuantization(const std::string &spec, TwlaQuantization &out) {
  out = TwlaQuantization();
  return forEachSpecOption(
      spec, "twla", [&](const std::string &key, const std::string &value) {
        return applyOption(key, value, out);
      });
}

std::string describeTwla(const TwlaQuantization &t) {
  static const char *rotations[] = {"none", "fixed", "learned", "best"};
  static const char *couplings[] = {"none", "block", "full"};
  std::ostringstream os;
  os << "twla W1.58A" << t.activationBits << " g" << t.params.group
     << " rotation " << rotations[int(t.rotation)] << " coupling "
     << couplings[int(t.params.coupling)]
     << (t.params.feedback ? " feedback" : "");
  if (t.rotation == TwlaRotation::Learned || t.rotation == TwlaRotation::Best)
    os << " (" << t.kotms.steps << " Cayley steps on " << t.kotms.sampleRows
       << " rows)";
  if (t.activationBits == 4)
    os << ", activations 4/8 bits at a mean of " << t.budget;
  return os.str();
}

Status quantizeModelTwla(Model &m, const TwlaQuantization &twla,
                         const CalibrationStats &stats, unsigned threads,
                         QuantReport &report, TwlaInputs &inputs,
                         const std::function<void(int64_t, int64_t)> &progress) {
  report = QuantReport();
  report.format = describeTwla(twla);
  inputs.clear();
  int64_t total = 0;
  for (int64_t l = 0; l < m.config.nLayers; ++l)
    for (const char *what : linearNames())
      total += m.find(layerTensor(l, what))->numel();
  for (int64_t l = 0; l < m.config.nLayers; ++l)
    for (size_t i = 0; i < layerInputs().size(); ++i) {
      const auto &[input, linears] = layerInputs()[i];
      TwlaInput in;
      if (Status s = quantizeInput(m, l, int(i), input, linears, twla, stats,
                                   threads, report, in);
          !s)
        return s;
      inputs.push_back(std::move(in));
      if (progress)
        progress(report.linearWeights, total);
    }
  countNonLinearTensors(m, report);
  return Status::success();
}

} // namespace itq3::model
