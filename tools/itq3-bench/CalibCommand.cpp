//===- CalibCommand.cpp - `itq3-bench calib` ------------------------------===//
//
// The choices of the calibrated encoder, measured on a real model's
// linears with its calibration statistics: for each chosen linear and
// format, the relative output error tr(E H E^T) / tr(W H W^T) (E = W - Q)
// and the encode time of round-to-nearest, the diagonal mode, and the full
// mode with scales fitted on the updated or on the original weights.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "itq3/Format/Calibrated.h"
#include "itq3/Format/DenseMath.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Importers.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace itq3::bench {

namespace {

using format::CalibratedOptions;
using format::CalibrationMode;
using format::ScaleFit;

std::vector<std::string> split(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    out.push_back(item);
  return out;
}

/// tr(A H A^T) for A [rows x k], with the dense kernel (E H, then a dot).
double quadratic(const std::vector<float> &a, int64_t rows, int64_t k,
                 const std::vector<float> &h, unsigned threads) {
  std::vector<float> ah(a.size(), 0.0f);
  format::parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
    format::gemmAccumulate(r1 - r0, k, k, 1.0f, a.data() + r0 * k, k, h.data(), k,
                           ah.data() + r0 * k, k);
  });
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += double(a[i]) * ah[i];
  return s;
}

struct Mode {
  const char *name;
  bool calibrated;
  CalibratedOptions options;
};

} // namespace

int runCalib(int argc, char **argv) {
  std::string modelPath, statsPath, layers = "0", linears = "ffn_down",
              formats = "itq3_s,iq3,q4";
  unsigned threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) { // argv[0] is "calib"
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") modelPath = v;
    else if (a == "--calib-stats") statsPath = v;
    else if (a == "--layers") layers = v;
    else if (a == "--linears") linears = v;
    else if (a == "--formats") formats = v;
    else if (a == "--threads") threads = unsigned(std::atoi(v.c_str()));
    else {
      std::fprintf(stderr, "itq3-bench calib: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (modelPath.empty() || statsPath.empty()) {
    std::fprintf(stderr, "usage: itq3-bench calib --model FILE --calib-stats FILE "
                         "[--layers 0,15] [--linears ffn_down,attn_q] "
                         "[--formats itq3_s,q4] [--threads N]\n");
    return 2;
  }
  model::Model m;
  if (format::Status s = model::loadModel(modelPath, m, nullptr); !s) {
    std::fprintf(stderr, "itq3-bench calib: %s\n", s.message().c_str());
    return 1;
  }
  model::CalibrationStats stats;
  if (format::Status s = model::CalibrationStats::open(statsPath, m, stats); !s) {
    std::fprintf(stderr, "itq3-bench calib: %s\n", s.message().c_str());
    return 1;
  }
  std::vector<Mode> modes = {{"rtn", false, {}}, {"diagonal", true, {}},
                             {"full, updated scales", true, {}},
                             {"full, original scales", true, {}}};
  modes[1].options.mode = CalibrationMode::Diagonal;
  modes[3].options.scales = ScaleFit::Original;
  std::printf("| linear | format | mode | rel. output error | encode s |\n"
              "|---|---|---|---|---|\n");
  for (const std::string &l : split(layers))
    for (const std::string &what : split(linears)) {
      std::string name = "blk." + l + "." + what + ".weight";
      const model::Tensor *t = m.find(name);
      if (!t) {
        std::fprintf(stderr, "itq3-bench calib: no tensor %s\n", name.c_str());
        return 1;
      }
      std::vector<float> h;
      if (format::Status s = stats.load(model::calibrationInput(name), h); !s) {
        std::fprintf(stderr, "itq3-bench calib: %s\n", s.message().c_str());
        return 1;
      }
      int64_t rows = t->rows(), k = t->cols();
      double base = quadratic(t->data, rows, k, h, threads);
      for (const std::string &f : split(formats)) {
        auto kind = format::parseFormatName(f);
        if (!kind) {
          std::fprintf(stderr, "itq3-bench calib: unknown format %s\n", f.c_str());
          return 1;
        }
        auto codec = format::createCodec(*kind);
        std::vector<uint8_t> bytes(size_t(codec->matrixBytes(rows, k)));
        std::vector<float> back(t->data.size());
        for (Mode &mode : modes) {
          mode.options.threads = threads;
          auto t0 = std::chrono::steady_clock::now();
          format::Status s = format::Status::success();
          if (mode.calibrated) {
            s = format::encodeRowsCalibrated(*codec, t->data.data(), rows, k,
                                             h.data(), mode.options, bytes.data());
          } else {
            format::EncodeOptions eo;
            eo.threads = threads;
            s = codec->encodeRows(t->data.data(), rows, k, bytes.data(), eo);
          }
          double secs = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - t0).count();
          if (s)
            s = codec->decodeRows(bytes.data(), rows, k, back.data(), threads);
          if (!s) {
            std::printf("| %s | %s | %s | %s | |\n", name.c_str(), f.c_str(),
                        mode.name, s.message().c_str());
            continue;
          }
          for (size_t i = 0; i < back.size(); ++i)
            back[i] = t->data[i] - back[i];
          std::printf("| %s | %s | %s | %.5f | %.2f |\n", name.c_str(), f.c_str(),
                      mode.name, quadratic(back, rows, k, h, threads) / base, secs);
          std::fflush(stdout);
        }
      }
    }
  return 0;
}

} // namespace itq3::bench
