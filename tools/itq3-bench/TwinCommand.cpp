//===- TwinCommand.cpp - `itq3-bench twin` --------------------------------===//
//
// The choices of twinquant measured on a real model's linears: for each
// chosen linear and each spec (itq3-run's twinquant:KEY=VALUE syntax, or a
// block format such as q4 for comparison), the stored bits per weight, the
// relative weight error ||W - Q|| / ||W|| and, with calibration statistics,
// the relative output error tr(E H E^T) / tr(W H W^T), E = W - Q.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/TwinQuant.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Importers.h"
#include "itq3/Model/Quantize.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace itq3::bench {

namespace {

std::vector<std::string> splitOn(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, sep);)
    out.push_back(item);
  return out;
}

/// tr(A H A^T) for A [rows x k].
double quadraticForm(const std::vector<float> &a, int64_t rows, int64_t k,
                     const std::vector<float> &h, unsigned threads) {
  std::vector<float> ah(a.size(), 0.0f);
  format::parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
    format::gemmAccumulate(r1 - r0, k, k, 1.0f, a.data() + r0 * k, k, h.data(),
                           k, ah.data() + r0 * k, k);
  });
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += double(a[i]) * ah[i];
  return s;
}

/// Round trip of one spec: the decoded weight and its stored bits.
format::Status encodeSpec(const std::string &spec, const model::Tensor &t,
                          const std::vector<float> &h, unsigned threads,
                          std::vector<float> &back, double &bits,
                          std::string &label) {
  int64_t rows = t.rows(), k = t.cols();
  back.assign(t.data.size(), 0.0f);
  if (!model::isTwinQuantSpec(spec)) {
    auto kind = format::parseFormatName(spec);
    if (!kind)
      return format::Status::error("unknown format " + spec);
    auto codec = format::createCodec(*kind);
    std::vector<uint8_t> bytes(size_t(codec->matrixBytes(rows, k)));
    format::EncodeOptions eo;
    eo.threads = threads;
    if (format::Status s = codec->encodeRows(t.data.data(), rows, k, bytes.data(), eo); !s)
      return s;
    bits = double(bytes.size()) * 8;
    label = spec;
    return codec->decodeRows(bytes.data(), rows, k, back.data(), threads);
  }
  model::TwinQuantization twin;
  if (format::Status s = model::parseTwinQuantization(spec, twin); !s)
    return s;
  format::TwinQuantParams p = model::twinParamsFor(twin, rows, k);
  std::vector<float> importance;
  format::TwinEncodeOptions eo;
  eo.threads = threads;
  if (twin.importance && !h.empty()) {
    importance.resize(size_t(k));
    for (int64_t i = 0; i < k; ++i)
      importance[size_t(i)] = h[size_t(i * k + i)];
    eo.importance = importance.data();
  }
  std::vector<uint8_t> packed;
  if (format::Status s = format::encodeTwinQuant(t.data.data(), rows, k, p, eo, packed); !s)
    return s;
  bits = double(packed.size()) * 8;
  label = format::describeTwinQuant(p) + (eo.importance ? " imp" : "");
  return format::decodeTwinQuant(packed.data(), rows, k, p, back.data(), threads);
}

} // namespace

int runTwin(int argc, char **argv) {
  std::string modelPath, statsPath, layers = "0", linears = "ffn_down",
              specs = "q4;twinquant";
  unsigned threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) { // argv[0] is "twin"
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") modelPath = v;
    else if (a == "--calib-stats") statsPath = v;
    else if (a == "--layers") layers = v;
    else if (a == "--linears") linears = v;
    else if (a == "--specs") specs = v;
    else if (a == "--threads") threads = unsigned(std::atoi(v.c_str()));
    else {
      std::fprintf(stderr, "itq3-bench twin: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (modelPath.empty()) {
    std::fprintf(stderr, "usage: itq3-bench twin --model FILE [--calib-stats FILE] "
                         "[--layers 0,15] [--linears ffn_down,attn_q] "
                         "[--specs 'q4;twinquant:budget=0.5,factor=4'] [--threads N]\n");
    return 2;
  }
  model::Model m;
  if (format::Status s = model::loadModel(modelPath, m, nullptr); !s) {
    std::fprintf(stderr, "itq3-bench twin: %s\n", s.message().c_str());
    return 1;
  }
  model::CalibrationStats stats;
  if (!statsPath.empty())
    if (format::Status s = model::CalibrationStats::open(statsPath, m, stats); !s) {
      std::fprintf(stderr, "itq3-bench twin: %s\n", s.message().c_str());
      return 1;
    }
  std::printf("| linear | spec | bits/w | rel. weight error | rel. output error | "
              "encode s |\n|---|---|---|---|---|---|\n");
  for (const std::string &l : splitOn(layers, ','))
    for (const std::string &what : splitOn(linears, ',')) {
      std::string name = "blk." + l + "." + what + ".weight";
      const model::Tensor *t = m.find(name);
      if (!t) {
        std::fprintf(stderr, "itq3-bench twin: no tensor %s\n", name.c_str());
        return 1;
      }
      std::vector<float> h;
      if (!statsPath.empty())
        if (format::Status s = stats.load(model::calibrationInput(name), h); !s) {
          std::fprintf(stderr, "itq3-bench twin: %s\n", s.message().c_str());
          return 1;
        }
      int64_t rows = t->rows(), k = t->cols();
      double base = h.empty() ? 0 : quadraticForm(t->data, rows, k, h, threads);
      for (const std::string &spec : splitOn(specs, ';')) {
        std::vector<float> back;
        double bits = 0;
        std::string label;
        auto t0 = std::chrono::steady_clock::now();
        format::Status s = encodeSpec(spec, *t, h, threads, back, bits, label);
        double secs = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0).count();
        if (!s) {
          std::printf("| %s | %s | %s | | | |\n", name.c_str(), spec.c_str(),
                      s.message().c_str());
          continue;
        }
        double num = 0, den = 0;
        for (size_t i = 0; i < back.size(); ++i) {
          back[i] = t->data[i] - back[i];
          num += double(back[i]) * back[i];
          den += double(t->data[i]) * t->data[i];
        }
        std::string out = "-";
        if (!h.empty()) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.5f",
                        std::sqrt(quadraticForm(back, rows, k, h, threads) / base));
          out = buf;
        }
        std::printf("| %s | %s | %.4f | %.5f | %s | %.2f |\n", name.c_str(),
                    label.c_str(), bits / double(rows * k), std::sqrt(num / den),
                    out.c_str(), secs);
        std::fflush(stdout);
      }
    }
  return 0;
}

} // namespace itq3::bench
