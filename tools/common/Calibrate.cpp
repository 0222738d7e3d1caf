//===- Calibrate.cpp - The calibration flags itq3-run and itq3-compile share ===//

#include "Calibrate.h"
#include "Args.h"
#include "Progress.h"

#include <sys/resource.h>
#include <unistd.h>

namespace itq3 {

using format::Status;

const char *const kCalibrationUsage =
    "  --calibrate TEXT    collect the input statistics of every linear over\n"
    "                      TEXT with the reference model (never the text you\n"
    "                      evaluate on), then quantize with them\n"
    "  --calib-tokens N    tokens of TEXT to use (default 2048)\n"
    "  --calib-ctx C       window of the calibration passes (default 512)\n"
    "  --calib-stats FILE  where --calibrate writes the statistics; without\n"
    "                      --calibrate: quantize with statistics collected\n"
    "                      before\n"
    "  --calib-mode M      full (GPTQ/LDLQ error feedback, default) or\n"
    "                      diagonal (importance weighting by diag H only)\n"
    "  --calib-scales S    updated (default) or original: where the block\n"
    "                      scales of the full mode are fitted\n"
    "  --dampening F       added to diag H, times its mean (default 0.01)\n";

namespace {

std::string baseName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

bool parseCalibrationFlag(const std::string &a, const std::string &v,
                          CalibrationFlags &f) {
  if (a == "--calibrate") f.text = v;
  else if (a == "--calib-tokens") f.tokens = parseInt(a, v);
  else if (a == "--calib-ctx") f.ctx = parseInt(a, v);
  else if (a == "--calib-stats") f.stats = v;
  else if (a == "--calib-mode") f.mode = v;
  else if (a == "--calib-scales") f.scales = v;
  else if (a == "--dampening") f.dampening = parseFloat(a, v, 0.0f, 10.0f);
  else return false;
  return true;
}

void checkCalibrationFlags(const CalibrationFlags &f,
                           const std::string &evalText) {
  if (!format::parseCalibrationMode(f.mode))
    fail("--calib-mode is full or diagonal, not '" + f.mode + "'");
  if (f.scales != "updated" && f.scales != "original")
    fail("--calib-scales is updated or original, not '" + f.scales + "'");
  if (f.tokens < 2 || f.ctx < 2)
    fail("--calib-tokens and --calib-ctx must be at least 2");
  if (!f.text.empty() && !evalText.empty() &&
      baseName(f.text) == baseName(evalText))
    fail("the calibration text " + f.text + " is the evaluation text: "
         "calibrate on another one");
}

void collectStatistics(const model::Model &m, const model::Tokenizer &tok,
                       const CalibrationFlags &f, unsigned threads,
                       StatisticsFile &out) {
  std::string path = f.stats;
  out.temporary = path.empty();
  if (out.temporary) {
    const char *tmp = std::getenv("TMPDIR");
    path = std::string(tmp ? tmp : "/tmp") + "/itq3-calib-" +
           std::to_string(getpid()) + ".bin";
  }
  out.path = path;
  std::vector<int32_t> tokens = tok.encode(readFileOrFail(f.text), false);
  if (int64_t(tokens.size()) > f.tokens)
    tokens.resize(size_t(f.tokens));
  int32_t bos = tok.addBos() ? tok.bos() : -1;
  int64_t ctx = std::min(f.ctx, m.config.seqLen);
  Progress bar("calibrating");
  model::CalibrationSummary sum;
  if (Status s = model::collectCalibration(
          m, tokens, ctx, bos, threads, path, sum,
          [&](int64_t d, int64_t t) { bar.update(d, t, "layer-windows"); });
      !s)
    fail(f.text + ": " + s.message());
  bar.finish();
  std::printf("calibration: %lld positions of %s (%lld windows of %lld) in "
              "%.1f s; statistics %.1f MB in %s; peak memory %.2f GiB\n",
              (long long)sum.tokens, baseName(f.text).c_str(),
              (long long)sum.windows, (long long)ctx, sum.seconds,
              double(sum.bytes) / 1e6, path.c_str(), peakMemoryGiB());
}

void openStatistics(const StatisticsFile &file, const model::Model &m,
                    const CalibrationFlags &f, model::CalibrationStats &stats,
                    model::CalibratedQuantization &out) {
  if (Status s = model::CalibrationStats::open(file.path, m, stats); !s)
    fail(s.message());
  out.stats = &stats;
  out.options.mode = *format::parseCalibrationMode(f.mode);
  out.options.scales = f.scales == "original" ? format::ScaleFit::Original
                                              : format::ScaleFit::Updated;
  out.options.dampening = f.dampening;
}

double peakMemoryGiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / (1024.0 * 1024.0); // ru_maxrss is in KiB
}

} // namespace itq3
