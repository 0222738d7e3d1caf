//===- Calibration.cpp - Collecting the second moments of linear inputs ---===//

#include "CalibrationFile.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Model/Eval.h"
#include "itq3/Model/Forward.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace itq3::model {

namespace {

/// H += X^T X over the upper triangle (the file keeps only that one).
void accumulate(const float *x, int64_t rows, int64_t k, unsigned threads,
                std::vector<float> &xt, float *h) {
  xt.resize(size_t(k * rows));
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t c = 0; c < k; ++c)
      xt[size_t(c * rows + t)] = x[t * k + c];
  int64_t blocks = (k + 15) / 16;
  // Blocks of 16 rows of H from their diagonal on, taken short and long in
  // turn so that contiguous ranges balance the threads.
  format::parallelRanges(blocks, threads, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      int64_t b = q % 2 == 0 ? q / 2 : blocks - 1 - q / 2;
      int64_t i0 = b * 16, m = std::min<int64_t>(16, k - i0);
      format::gemmAccumulate(m, k - i0, rows, 1.0f, xt.data() + i0 * rows, rows,
                             x + i0, k, h + i0 * k + i0, k);
    }
  });
}

} // namespace

Status collectCalibration(const Model &m, const std::vector<int32_t> &tokens,
                          int64_t ctx, int32_t bos, unsigned threads,
                          const std::string &path, CalibrationSummary &summary,
                          const std::function<void(int64_t, int64_t)> &progress) {
  auto start = std::chrono::steady_clock::now();
  summary = CalibrationSummary();
  const ModelConfig &c = m.config;
  TextWindows text(int64_t(tokens.size()), ctx, bos);
  int64_t textPerWindow = text.textPerWindow, windows = text.count;
  if (ctx < 2 || textPerWindow < 1)
    return Status::error("calibration context must be at least 2");
  if (windows == 0)
    return Status::error("the calibration text has " +
                         std::to_string(tokens.size()) +
                         " tokens, fewer than one window of " +
                         std::to_string(textPerWindow));
  std::unique_ptr<Forward> fwd;
  if (Status s = Forward::create(m, ctx, threads, fwd); !s)
    return s;
  // The hidden state of every calibration position, carried layer to layer.
  std::vector<float> hidden(size_t(windows * ctx * c.dim));
  std::vector<int32_t> window;
  for (int64_t w = 0; w < windows; ++w) {
    text.fill(tokens, w, window);
    if (Status s = fwd->embed(window.data(), ctx, hidden.data() + w * ctx * c.dim); !s)
      return s;
  }
  int64_t positions = windows * ctx;
  std::vector<CalibrationEntry> entries = calibrationEntries(m);
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  if (!os)
    return Status::error(path + ": cannot create the statistics file");
  if (Status s = writeCalibrationHeader(os, m, positions, entries); !s)
    return Status::error(path + ": " + s.message());

  std::map<std::string, std::vector<float>> sums; // by first linear of a group
  std::vector<float> xt;
  unsigned workers = fwd->threads();
  fwd->setInputObserver([&](int64_t, const char *first, const float *in,
                            int64_t rows, int64_t k) {
    std::vector<float> &h = sums[first];
    if (h.empty())
      h.assign(size_t(k * k), 0.0f);
    accumulate(in, rows, k, workers, xt, h.data());
  });
  constexpr int64_t batch = 128; // as perplexity runs the model
  for (int64_t l = 0; l < c.nLayers; ++l) {
    sums.clear();
    for (int64_t w = 0; w < windows; ++w) {
      float *hw = hidden.data() + w * ctx * c.dim;
      for (int64_t pos = 0; pos < ctx; pos += batch) {
        int64_t n = std::min(batch, ctx - pos);
        if (Status s = fwd->runLayer(l, hw + pos * c.dim, n, pos); !s)
          return s;
      }
      if (progress)
        progress(l * windows + w + 1, c.nLayers * windows);
    }
    for (const CalibrationEntry &e : entries) {
      if (e.name.rfind("blk." + std::to_string(l) + ".", 0) != 0)
        continue;
      const std::vector<float> &h = sums[e.first];
      if (h.size() != size_t(e.k * e.k))
        return Status::error("calibration: layer " + std::to_string(l) +
                             " never fed " + e.first);
      if (Status s = writeCalibrationEntry(os, h.data(), e.k,
                                           1.0f / float(positions));
          !s)
        return Status::error(path + ": " + s.message());
    }
  }
  os.close();
  if (!os)
    return Status::error(path + ": write failed");
  summary.tokens = positions;
  summary.windows = windows;
  for (const CalibrationEntry &e : entries)
    summary.bytes += triangleBytes(e.k);
  summary.seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start).count();
  return Status::success();
}

} // namespace itq3::model
