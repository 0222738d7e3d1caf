//===- Progress.cpp - A progress bar with an ETA on stderr ----------------===//

#include "Progress.h"

#include <cstdio>
#include <unistd.h>

namespace itq3 {

Progress::Progress(std::string label)
    : label_(std::move(label)), start_(std::chrono::steady_clock::now()),
      tty_(isatty(STDERR_FILENO)) {}

void Progress::update(int64_t done, int64_t total, const char *unit) {
  if (total <= 0)
    return;
  double frac = double(done) / double(total);
  double elapsed = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start_)
                       .count();
  double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  double rate = elapsed > 0 ? double(done) / elapsed : 0;
  if (tty_) {
    constexpr int width = 30;
    int fill = int(frac * width);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %.3g %s/s ETA %4.0fs ",
                 label_.c_str(), fill, "##############################",
                 width - fill, "", int(frac * 100), rate, unit, eta);
    drawn_ = true;
  } else if (int decile = int(frac * 10);
             decile != lastDecile_ && (elapsed > 2 || lastDecile_ >= 0)) {
    // Runs shorter than two seconds are not worth a log line.
    lastDecile_ = decile;
    std::fprintf(stderr, "%s %3d%% %.3g %s/s ETA %.0fs\n", label_.c_str(),
                 decile * 10, rate, unit, eta);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (drawn_)
    std::fputc('\n', stderr);
  drawn_ = false;
}

} // namespace itq3
