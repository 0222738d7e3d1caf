//===- BlockCodec.cpp - Validation, rotation and threads for all codecs ---===//

#include "BlockCodec.h"

#include "itq3/Format/FWHT.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>
#include <vector>

namespace itq3::format::detail {

Status forEachRowRange(int64_t rows, unsigned threads,
                       const std::function<Status(int64_t, int64_t)> &fn) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t workers = std::min<int64_t>(threads, rows);
  if (workers <= 1)
    return fn(0, rows);
  std::vector<Status> results(size_t(workers), Status::success());
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < workers; ++t) {
    int64_t begin = rows * t / workers, end = rows * (t + 1) / workers;
    pool.emplace_back([&, t, begin, end] { results[size_t(t)] = fn(begin, end); });
  }
  for (std::thread &th : pool)
    th.join();
  for (Status &s : results)
    if (!s.ok())
      return s;
  return Status::success();
}

static Status checkImportance(const float *importance, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c)
    if (!std::isfinite(importance[c]) || importance[c] < 0) {
      std::ostringstream os;
      os << "importance of column " << c << " is " << importance[c]
         << "; importance must be finite and non-negative";
      return Status::error(os.str());
    }
  return Status::success();
}

static Status checkFinite(const float *row, int64_t r, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c)
    if (!std::isfinite(row[c])) {
      std::ostringstream os;
      os << "non-finite weight (" << (std::isnan(row[c]) ? "NaN" : "Inf")
         << ") at row " << r << ", column " << c;
      return Status::error(os.str());
    }
  return Status::success();
}

Status BlockCodec::checkStoredRow(const float *values, int64_t r,
                                  int64_t cols) const {
  int64_t block = blockSize();
  for (int64_t c = 0; c < cols; c += block) {
    const float *v = values + c;
    float amax = 0;
    for (int64_t j = 0; j < block; ++j)
      amax = std::max(amax, std::fabs(v[j]));
    if (!(amax <= maxMagnitude())) {
      std::ostringstream os;
      os << "weight magnitude " << amax << " at row " << r << ", columns " << c
         << ".." << c + block - 1 << (isRotated() ? " (after FWHT rotation)" : "")
         << " is out of range for format " << name() << " (at most "
         << maxMagnitude() << " with its fp16 scale); rescale the tensor or "
         << "keep it in f32";
      return Status::error(os.str());
    }
  }
  return Status::success();
}

Status BlockCodec::encodeRow(const float *row, int64_t r, int64_t cols,
                             const float *importance, float *scratch,
                             uint8_t *dst) const {
  if (Status s = checkFinite(row, r, cols); !s.ok())
    return s;
  const float *values = row;
  if (isRotated()) {
    std::copy(row, row + cols, scratch);
    rotateRow(scratch, cols, options().signSeed, rotationBlock());
    values = scratch;
  }
  if (Status s = checkStoredRow(values, r, cols); !s.ok())
    return s;
  int64_t block = blockSize();
  for (int64_t c = 0; c < cols; c += block)
    encodeBlock(values + c, importance ? importance + c : nullptr,
                dst + c / block * bytesPerBlock());
  return Status::success();
}

Status BlockCodec::encodeRows(const float *src, int64_t rows, int64_t cols,
                              uint8_t *dst, const EncodeOptions &opts) const {
  if (Status s = checkShape(rows, cols); !s.ok())
    return s;
  if (opts.importance)
    if (Status s = checkImportance(opts.importance, cols); !s.ok())
      return s;
  int64_t rowBytes = this->rowBytes(cols);
  return forEachRowRange(rows, opts.threads, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(isRotated() ? size_t(cols) : 0);
    for (int64_t r = begin; r < end; ++r)
      if (Status s = encodeRow(src + r * cols, r, cols, opts.importance,
                               scratch.data(), dst + r * rowBytes);
          !s.ok())
        return s;
    return Status::success();
  });
}

Status BlockCodec::decodeRows(const uint8_t *src, int64_t rows, int64_t cols,
                              float *dst, unsigned threads) const {
  return decode(src, rows, cols, dst, /*undoRotation=*/true, threads);
}

Status BlockCodec::decodeRowsStored(const uint8_t *src, int64_t rows,
                                    int64_t cols, float *dst) const {
  return decode(src, rows, cols, dst, /*undoRotation=*/false, 0);
}

Status BlockCodec::decode(const uint8_t *src, int64_t rows, int64_t cols,
                          float *dst, bool undoRotation,
                          unsigned threads) const {
  if (Status s = checkShape(rows, cols); !s.ok())
    return s;
  int64_t block = blockSize(), rowBytes = this->rowBytes(cols);
  return forEachRowRange(rows, threads, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float *out = dst + r * cols;
      for (int64_t c = 0; c < cols; c += block)
        decodeBlock(src + r * rowBytes + c / block * bytesPerBlock(), out + c);
      if (undoRotation && isRotated())
        unrotateRow(out, cols, options().signSeed, rotationBlock());
    }
    return Status::success();
  });
}

} // namespace itq3::format::detail
