//===- Measure.cpp - Timing and the bandwidth bound of itq3-bench ---------===//
#include "Measure.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace itq3::bench {

double medianSeconds(int reps, const std::function<void()> &body) {
  body();
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double streamingReadGBs(unsigned threads) {
  std::vector<float> buffer(size_t(128) << 20, 1.0f);
  std::vector<float> sinks(threads);
  size_t per = buffer.size() / threads / 8 * 8;
  auto sum = [&](unsigned t) {
    float lanes[8] = {};
    for (size_t i = t * per; i < (t + 1) * per; i += 8)
      for (int j = 0; j < 8; ++j)
        lanes[j] += buffer[i + j];
    sinks[t] = lanes[0] + lanes[7];
  };
  double seconds = medianSeconds(3, [&] {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
      pool.emplace_back(sum, t);
    sum(0);
    for (std::thread &p : pool)
      p.join();
  });
  return double(per * threads * sizeof(float)) / seconds / 1e9;
}

} // namespace itq3::bench
