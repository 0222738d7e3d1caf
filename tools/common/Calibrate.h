//===- Calibrate.h - The calibration flags itq3-run and itq3-compile share -*- C++ -*-===//
#ifndef ITQ3_TOOLS_COMMON_CALIBRATE_H
#define ITQ3_TOOLS_COMMON_CALIBRATE_H

#include "itq3/Model/Calibration.h"
#include "itq3/Model/Quantize.h"
#include "itq3/Model/Tokenizer.h"

#include <cstdio>
#include <string>

namespace itq3 {

/// --calibrate TEXT [--calib-tokens N] [--calib-ctx C] [--calib-stats FILE]
/// [--calib-mode M] [--calib-scales S] [--dampening F].
struct CalibrationFlags {
  std::string text, stats, mode = "full", scales = "updated";
  int64_t tokens = 2048, ctx = 512;
  double dampening = 0.01;

  /// Whether calibrated encoding is asked for (statistics to collect or read).
  bool enabled() const { return !text.empty() || !stats.empty(); }
};

/// The usage lines of the flags, indented as both tools print them.
extern const char *const kCalibrationUsage;

/// Takes flag `a` with value `v` if it is one of the calibration flags.
bool parseCalibrationFlag(const std::string &a, const std::string &v,
                          CalibrationFlags &f);

/// fail()s on a value out of range; `evalText` (may be empty) must not be the
/// calibration text.
void checkCalibrationFlags(const CalibrationFlags &f,
                           const std::string &evalText);

/// A statistics file; a temporary one is removed with this object (the
/// statistics are read from the file while quantizing, one input at a time).
struct StatisticsFile {
  std::string path;
  bool temporary = false;

  StatisticsFile() = default;
  StatisticsFile(const StatisticsFile &) = delete;
  StatisticsFile &operator=(const StatisticsFile &) = delete;
  ~StatisticsFile() {
    if (temporary)
      std::remove(path.c_str());
  }
};

/// Runs the reference model over the calibration text and writes the
/// statistics to f.stats, or to a temporary file. Prints positions, time,
/// size and peak memory.
void collectStatistics(const model::Model &m, const model::Tokenizer &tok,
                       const CalibrationFlags &f, unsigned threads,
                       StatisticsFile &out);

/// Opens the statistics, checked against the model, and fills the
/// calibrated-encoding settings of the flags.
void openStatistics(const StatisticsFile &file, const model::Model &m,
                    const CalibrationFlags &f, model::CalibrationStats &stats,
                    model::CalibratedQuantization &out);

/// Peak resident memory of this process so far.
double peakMemoryGiB();

} // namespace itq3

#endif // ITQ3_TOOLS_COMMON_CALIBRATE_H
