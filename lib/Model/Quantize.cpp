//===- Quantize.cpp - Simulated quantization of a model's linears ---------===//

#include "itq3/Model/Quantize.h"

#include "itq3/Format/FWHT.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace itq3::model {

using format::Codec;
using format::FormatKind;

double QuantReport::linearBitsPerWeight() const {
  return linearWeights ? linearBits / double(linearWeights) : 0.0;
}

double QuantReport::modelBitsPerWeight() const {
  int64_t n = linearWeights + otherWeights;
  return n ? (linearBits + otherBits) / double(n) : 0.0;
}

std::vector<std::string> QuantReport::fallbacks() const {
  std::vector<std::string> out;
  for (const TensorReport &t : linears)
    if (t.fallback)
      out.push_back(t.name + " (" + t.format + ")");
  return out;
}

double storedBitsPerWeight(const std::string &type) {
  // Bytes per block * 8 / weights per block, as the GGML types store them.
  if (type == "f16" || type == "bf16")
    return 16.0;
  if (type == "q8_0")
    return 34.0 * 8 / 32;
  if (type == "q4_0")
    return 18.0 * 8 / 32;
  if (type == "q4_1")
    return 20.0 * 8 / 32;
  if (type == "q4_k")
    return 144.0 * 8 / 256;
  if (type == "q5_k")
    return 176.0 * 8 / 256;
  if (type == "q6_k")
    return 210.0 * 8 / 256;
  return 32.0;
}

static std::set<std::string> linearSet(const Model &m) {
  std::set<std::string> s;
  for (int64_t l = 0; l < m.config.nLayers; ++l)
    for (const char *what : linearNames())
      s.insert(layerTensor(l, what));
  return s;
}

/// Counts everything that is not a quantized linear.
static void countOthers(const Model &m, const std::set<std::string> &linears,
                        QuantReport &r) {
  for (const auto &[name, t] : m.tensors) {
    if (linears.count(name))
      continue;
    r.otherWeights += t.numel();
    r.otherBits += double(t.numel()) *
                   std::min(16.0, storedBitsPerWeight(t.sourceType));
  }
}

QuantReport referenceReport(const Model &m) {
  QuantReport r;
  r.format = "reference";
  std::set<std::string> linears = linearSet(m);
  for (const std::string &name : linears) {
    const Tensor &t = *m.find(name);
    TensorReport tr{name, t.sourceType, t.numel(),
                    double(t.numel()) * storedBitsPerWeight(t.sourceType)};
    r.linearWeights += tr.weights;
    r.linearBits += tr.bits;
    r.linears.push_back(tr);
  }
  countOthers(m, linears, r);
  return r;
}

/// The requested codec if its block divides K, else its narrower variant
/// (itq3_s64 for itq3_s), else q8, else f16.
static std::unique_ptr<Codec> codecFor(FormatKind kind,
                                       const format::CodecOptions &options,
                                       int64_t cols, bool &fallback) {
  fallback = false;
  std::vector<FormatKind> chain = {kind};
  if (std::optional<FormatKind> narrower = format::narrowerFormat(kind))
    chain.push_back(*narrower);
  chain.insert(chain.end(), {FormatKind::Q8, FormatKind::F16});
  for (FormatKind k : chain) {
    std::unique_ptr<Codec> c = format::createCodec(k, options);
    if (c && cols % c->blockSize() == 0)
      return c;
    fallback = true;
  }
  return nullptr;
}

/// ||back - w|| / ||w||, 0 for an all-zero w.
static double relativeError(const std::vector<float> &w,
                            const std::vector<float> &back) {
  double num = 0, den = 0;
  for (size_t i = 0; i < back.size(); ++i) {
    double d = double(back[i]) - w[i];
    num += d * d;
    den += double(w[i]) * w[i];
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

/// Encodes t (with its input's second moment h when calibrating), decodes
/// it back in place and measures the relative weight error. Encoder and
/// decoder each run on `threads` threads of their own: nothing here nests
/// them in another pool.
static Status roundTrip(const Codec &codec, Tensor &t, unsigned threads,
                        const CalibratedQuantization *calibrated,
                        const std::vector<float> *h, double &relError) {
  int64_t rows = t.rows(), cols = t.cols();
  std::vector<uint8_t> packed(size_t(codec.matrixBytes(rows, cols)));
  Status s = Status::success();
  if (calibrated && h) {
    format::CalibratedOptions co = calibrated->options;
    co.threads = threads;
    s = format::encodeRowsCalibrated(codec, t.data.data(), rows, cols,
                                     h->data(), co, packed.data());
  } else {
    format::EncodeOptions eo;
    eo.threads = threads;
    s = codec.encodeRows(t.data.data(), rows, cols, packed.data(), eo);
  }
  if (!s)
    return s;
  std::vector<float> back(t.data.size());
  if (Status d = codec.decodeRows(packed.data(), rows, cols, back.data(), threads);
      !d)
    return d;
  relError = relativeError(t.data, back);
  t.data = std::move(back);
  return Status::success();
}

/// Counts a quantized linear in the report and tells the progress bar.
static void record(const TensorReport &tr, QuantReport &report,
                   const std::function<void(int64_t, int64_t)> &progress,
                   int64_t total) {
  report.linearWeights += tr.weights;
  report.linearBits += tr.bits;
  report.linears.push_back(tr);
  if (progress)
    progress(report.linearWeights, total);
}

Status quantizeModel(Model &m, FormatKind kind,
                     const format::CodecOptions &options, unsigned threads,
                     QuantReport &report,
                     const std::function<void(int64_t, int64_t)> &progress,
                     const CalibratedQuantization *calibrated) {
  report = QuantReport();
  report.format = std::string(format::formatName(kind));
  std::set<std::string> linears = linearSet(m);
  int64_t total = 0;
  for (const std::string &name : linears)
    total += m.find(name)->numel();
  // Layer by layer in linearNames() order, so that the linears sharing an
  // input come one after another and its statistic is read once.
  std::string loadedInput;
  std::vector<float> h;
  for (int64_t l = 0; l < m.config.nLayers; ++l)
    for (const char *what : linearNames()) {
      std::string name = layerTensor(l, what);
      Tensor &t = *m.find(name);
      bool fallback;
      std::unique_ptr<Codec> codec = codecFor(kind, options, t.cols(), fallback);
      if (!codec)
        return Status::error("no codec can store " + name);
      if (calibrated && calibrated->stats) {
        std::string input = calibrationInput(name);
        if (input != loadedInput) {
          if (Status s = calibrated->stats->load(input, h); !s)
            return s;
          loadedInput = input;
        }
        if (h.size() != size_t(t.cols() * t.cols()))
          return Status::error(name + ": its calibration statistic " + input +
                               " has K = " +
                               std::to_string(int64_t(std::sqrt(double(h.size())))) +
                               ", the weight has K = " + std::to_string(t.cols()));
      }
      TensorReport tr{name, std::string(codec->name()), t.numel(),
                      double(codec->matrixBytes(t.rows(), t.cols())) * 8,
                      fallback};
      const std::vector<float> *stat =
          calibrated && calibrated->stats ? &h : nullptr;
      if (Status s = roundTrip(*codec, t, threads, calibrated, stat, tr.relError);
          !s)
        return Status::error(name + ": " + s.message());
      t.sourceType = tr.format;
      record(tr, report, progress, total);
    }
  countOthers(m, linears, report);
  return Status::success();
}

bool isSpecOf(const std::string &spec, const std::string &name) {
  return spec == name || spec.rfind(name + ":", 0) == 0;
}

Status forEachSpecOption(
    const std::string &spec, const std::string &name,
    const std::function<Status(const std::string &, const std::string &)> &apply) {
  if (!isSpecOf(spec, name))
    return Status::error("'" + spec + "' is not a " + name + " spec");
  std::stringstream options(spec.substr(std::min(spec.size(), name.size() + 1)));
  for (std::string item; std::getline(options, item, ',');) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      return Status::error(name + ": option '" + item + "' is not KEY=VALUE");
    if (Status s = apply(item.substr(0, eq), item.substr(eq + 1)); !s)
      return s;
  }
  return Status::success();
}

Status parseOnOff(const std::string &name, const std::string &key,
                  const std::string &value, bool &flag) {
  if (value != "on" && value != "off")
    return Status::error(name + ": " + key + " is on or off, not '" + value + "'");
  flag = value == "on";
  return Status::success();
}

bool isTwinQuantSpec(const std::string &spec) {
  return isSpecOf(spec, "twinquant");
}

/// Applies one KEY=VALUE of a twinquant spec.
static Status applyTwinOption(const std::string &key, const std::string &value,
                              TwinQuantization &out) {
  auto onOff = [&](bool &flag) { return parseOnOff("twinquant", key, value, flag); };
  char *end = nullptr;
  if (key == "rank") {
    out.rank = std::strtoll(value.c_str(), &end, 10);
    if (*end || out.rank < 1)
      return Status::error("twinquant: rank must be a positive integer, not '" +
                           value + "'");
  } else if (key == "budget") {
    out.budget = std::strtod(value.c_str(), &end);
    if (*end || !(out.budget > 0))
      return Status::error("twinquant: budget must be a positive number of bits "
                           "per weight, not '" + value + "'");
  } else if (key == "factor") {
    if (value != "8" && value != "4")
      return Status::error("twinquant: factor is 8 or 4 bits, not '" + value + "'");
    out.params.factorBits = value == "8" ? 8 : 4;
  } else if (key == "residual") {
    if (value != "q4" && value != "q4r" && value != "auto")
      return Status::error("twinquant: residual is q4, q4r or auto, not '" +
                           value + "'");
    out.rotateWhereFits = value == "auto";
    out.params.rotateResidual = value == "q4r";
  } else if (key == "seed") {
    out.params.signSeed = std::strtoull(value.c_str(), &end, 10);
    if (*end || value.empty())
      return Status::error("twinquant: seed must be an integer, not '" + value + "'");
  } else if (key == "transform") {
    if (value != "none" && value != "hadamard" && value != "learned")
      return Status::error("twinquant: transform is none, hadamard or learned, "
                           "not '" + value + "'");
    out.params.transform = value == "hadamard" ? format::TwinTransform::Hadamard
                           : value == "learned" ? format::TwinTransform::Learned
                                                : format::TwinTransform::None;
  } else if (key == "iters") {
    out.params.powerIterations = int(std::strtol(value.c_str(), &end, 10));
    if (*end || value.empty() || out.params.powerIterations < 0)
      return Status::error("twinquant: iters must be a count of power "
                           "iterations, not '" + value + "'");
  } else if (key == "balance") {
    return onOff(out.params.balance);
  } else if (key == "importance") {
    return onOff(out.importance);
  } else if (key == "cal") {
    return onOff(out.calibrated);
  } else {
    return Status::error("twinquant: unknown option '" + key +
                         "' (rank, budget, factor, residual, seed, transform, "
                         "iters, balance, importance, cal)");
  }
  return Status::success();
}

Status parseTwinQuantization(const std::string &spec, TwinQuantization &out) {
  out = TwinQuantization();
  return forEachSpecOption(
      spec, "twinquant", [&](const std::string &key, const std::string &value) {
        return applyTwinOption(key, value, out);
      });
}

format::TwinQuantParams twinParamsFor(const TwinQuantization &twin,
                                      int64_t rows, int64_t cols) {
  format::TwinQuantParams p = twin.params;
  if (twin.rotateWhereFits)
    p.rotateResidual = cols % format::kFwhtSize == 0;
  p.rank = twin.rank > 0 ? std::min(twin.rank, std::min(rows, cols))
                         : format::twinRankForBudget(rows, cols, p.factorBits,
                                                     twin.budget);
  return p;
}

/// The importance of a linear's columns: the diagonal of its input's H.
static std::vector<float> diagonal(const std::vector<float> &h, int64_t k) {
  std::vector<float> d(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i)
    d[size_t(i)] = h[size_t(i * k + i)];
  return d;
}

/// Encodes t with twinquant and decodes it back in place; false in `fits`
/// (and nothing done) when the format cannot hold it.
static Status twinRoundTrip(const TwinQuantization &twin, Tensor &t,
                            const float *importance, const float *h,
                            unsigned threads, TensorReport &tr, bool &fits) {
  int64_t rows = t.rows(), cols = t.cols();
  format::TwinQuantParams p = twinParamsFor(twin, rows, cols);
  format::TwinQuantLayout layout;
  fits = p.rank > 0 && format::twinQuantLayout(rows, cols, p, layout).ok();
  if (!fits)
    return Status::success();
  format::TwinEncodeOptions eo;
  eo.importance = importance;
  eo.secondMoment = h;
  eo.threads = threads;
  std::vector<uint8_t> packed;
  if (Status s = format::encodeTwinQuant(t.data.data(), rows, cols, p, eo, packed); !s)
    return s;
  std::vector<float> back(t.data.size());
  if (Status s = format::decodeTwinQuant(packed.data(), rows, cols, p, back.data(),
                                         threads);
      !s)
    return s;
  tr.relError = relativeError(t.data, back);
  tr.format = format::describeTwinQuant(p);
  tr.bits = double(packed.size()) * 8;
  t.data = std::move(back);
  return Status::success();
}

Status quantizeModelTwin(Model &m, const TwinQuantization &twin,
                         unsigned threads, QuantReport &report,
                         const std::function<void(int64_t, int64_t)> &progress,
                         const CalibrationStats *stats) {
  report = QuantReport();
  report.format = "twinquant";
  if (twin.calibrated && !stats)
    return Status::error("twinquant cal=on codes the residual against the "
                         "calibration statistics: give them (--calib-stats)");
  std::set<std::string> linears = linearSet(m);
  int64_t total = 0;
  for (const std::string &name : linears)
    total += m.find(name)->numel();
  std::string loadedInput;
  std::vector<float> h, importance;
  for (int64_t l = 0; l < m.config.nLayers; ++l)
    for (const char *what : linearNames()) {
      std::string name = layerTensor(l, what);
      Tensor &t = *m.find(name);
      bool weighted = stats && twin.importance;
      bool calibrated = stats && twin.calibrated;
      if ((weighted || calibrated) && calibrationInput(name) != loadedInput) {
        loadedInput = calibrationInput(name);
        if (Status s = stats->load(loadedInput, h); !s)
          return s;
        if (h.size() != size_t(t.cols() * t.cols()))
          return Status::error(name + ": its calibration statistic " + loadedInput +
                               " does not match K = " + std::to_string(t.cols()));
        importance = diagonal(h, t.cols());
      }
      TensorReport tr{name, "", t.numel(), 0, false};
      bool fits;
      if (Status s = twinRoundTrip(twin, t, weighted ? importance.data() : nullptr,
                                   calibrated ? h.data() : nullptr, threads, tr,
                                   fits);
          !s)
        return Status::error(name + ": " + s.message());
      if (!fits) {
        std::unique_ptr<Codec> codec = codecFor(FormatKind::Q8, {}, t.cols(), tr.fallback);
        tr.fallback = true;
        tr.format = std::string(codec->name());
        tr.bits = double(codec->matrixBytes(t.rows(), t.cols())) * 8;
        if (Status s = roundTrip(*codec, t, threads, nullptr, nullptr, tr.relError); !s)
          return Status::error(name + ": " + s.message());
      }
      t.sourceType = fits ? "twinquant" : tr.format;
      record(tr, report, progress, total);
    }
  countOthers(m, linears, report);
  return Status::success();
}

void countNonLinearTensors(const Model &m, QuantReport &report) {
  countOthers(m, linearSet(m), report);
}

FormatKind fittingFormat(FormatKind requested, int64_t cols) {
  bool fallback;
  std::unique_ptr<Codec> codec = codecFor(requested, {}, cols, fallback);
  return codec ? codec->kind() : FormatKind::F16;
}

OutputStorage outputStorage(const Model &m, FormatKind embedding,
                            FormatKind head) {
  auto fit = [&](FormatKind k) { return fittingFormat(k, m.config.dim); };
  OutputStorage s{fit(embedding), fit(head), false};
  if (format::createCodec(s.embedding)->isRotated())
    s.embedding = fit(FormatKind::Q8);
  s.shared = !m.find("output.weight") && s.embedding == s.head;
  return s;
}

Status quantizeEmbeddingAndHead(Model &m, const OutputStorage &storage,
                                const format::CodecOptions &options,
                                unsigned threads, QuantReport &report) {
  if (!storage.shared && !m.find("output.weight")) {
    // Stored twice from now on, so counted twice.
    const Tensor &table = *m.find("token_embd.weight");
    m.tensors["output.weight"] = table;
    report.otherWeights += table.numel();
    report.otherBits += double(table.numel()) *
                        std::min(16.0, storedBitsPerWeight(table.sourceType));
  }
  auto simulate = [&](const char *name, FormatKind kind) -> Status {
    Tensor &t = *m.find(name);
    auto codec = format::createCodec(kind, options);
    double relError;
    if (Status s = roundTrip(*codec, t, threads, nullptr, nullptr, relError); !s)
      return Status::error(std::string(name) + ": " + s.message());
    // countOthers counted the tensor at its source bits already.
    report.otherBits += double(codec->matrixBytes(t.rows(), t.cols())) * 8 -
                        double(t.numel()) *
                            std::min(16.0, storedBitsPerWeight(t.sourceType));
    t.sourceType = std::string(codec->name());
    return Status::success();
  };
  if (Status s = simulate("token_embd.weight", storage.embedding); !s)
    return s;
  if (storage.shared)
    return Status::success();
  return simulate("output.weight", storage.head);
}

} // namespace itq3::model
