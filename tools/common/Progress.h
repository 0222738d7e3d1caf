//===- Progress.h - A progress bar with an ETA on stderr --------*- C++ -*-===//
#ifndef ITQ3_TOOLS_COMMON_PROGRESS_H
#define ITQ3_TOOLS_COMMON_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace itq3 {

/// Redraws one line on a terminal; writes a line per 10% otherwise, so logs
/// of scripted runs stay short.
class Progress {
public:
  explicit Progress(std::string label);
  /// `unit` names what is counted ("tok", "weights") in the rate.
  void update(int64_t done, int64_t total, const char *unit);
  void finish();

private:
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  bool tty_;
  int lastDecile_ = -1;
  bool drawn_ = false;
};

} // namespace itq3

#endif // ITQ3_TOOLS_COMMON_PROGRESS_H
