//===- BlockCodec.h - Shared encode/decode driver of all codecs -----------===//
//
// Every codec is "independent blocks along K". This base does everything
// that is not the block format itself: shape and input validation (naming the
// row and column of a bad value), the optional FWHT rotation of each row,
// the fp16 range check, and splitting rows over threads. Rows are coded
// independently, so the output does not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_FORMAT_BLOCKCODEC_H
#define ITQ3_LIB_FORMAT_BLOCKCODEC_H

#include "itq3/Format/Codec.h"

#include <cstdlib>
#include <functional>

namespace itq3::format::detail {

/// One block while the calibrated encoder fills it in, group by group.
struct BlockCode {
  float d = 0;             // grid: the fp16 super-block scale
  float scale[8] = {};     // effective scale of each 32-weight sub-block
  int sub[8] = {};         // grid: l of each sub-block
  int code[256] = {};      // scalar: code per weight; grid: index per 4-group
  uint8_t negative[256] = {}; // grid: sign of each weight
};

class BlockCodec : public Codec {
public:
  Status encodeRows(const float *src, int64_t rows, int64_t cols, uint8_t *dst,
                    const EncodeOptions &opts) const final;
  Status decodeRows(const uint8_t *src, int64_t rows, int64_t cols,
                    float *dst, unsigned threads = 0) const final;
  Status decodeRowsStored(const uint8_t *src, int64_t rows, int64_t cols,
                          float *dst) const final;

  const BlockCodec *blockCodec() const final { return this; }

  // The hooks of the calibrated encoder (Calibrated.cpp). Values are in the
  // stored domain (rotated for rotated codecs).

  /// False for formats whose fit uses no input statistics (ptqtp): the
  /// hooks below are then never called.
  virtual bool hasCalibratedEncoder() const { return true; }
  /// Values snapped jointly: 4 for the grid's 4-tuples, 1 for scalars.
  virtual int snapWidth() const { return 1; }
  /// Fits the scales of one block as the round-to-nearest encoder would
  /// (`importance` null or blockSize() weights).
  virtual void fitScales(const float *values, const float *importance,
                         BlockCode &code) const = 0;
  /// Codes snapWidth() values at block position j with the scales of
  /// `code` (weights: their importance), writing what decodes into q.
  virtual void snap(const float *values, const float *weights, int64_t j,
                    BlockCode &code, float *q) const = 0;
  /// Writes the finished block in the codec's layout.
  virtual void pack(const BlockCode &code, uint8_t *dst) const = 0;
  /// The checks encodeRows makes of one stored-domain row (finite values,
  /// magnitudes within the fp16 scale's range); r names it in the message.
  Status checkStoredRow(const float *values, int64_t r, int64_t cols) const;

protected:
  explicit BlockCodec(CodecOptions options) : Codec(options) {}

  /// Codes blockSize() values (already rotated for rotated codecs).
  /// `importance` is null or blockSize() non-negative weights.
  virtual void encodeBlock(const float *values, const float *importance,
                           uint8_t *dst) const = 0;
  virtual void decodeBlock(const uint8_t *src, float *dst) const = 0;
  /// Largest |value| a block can hold given its fp16 scale; larger inputs
  /// are refused with an error rather than silently saturated.
  virtual float maxMagnitude() const = 0;

private:
  Status decode(const uint8_t *src, int64_t rows, int64_t cols, float *dst,
                bool undoRotation, unsigned threads) const;
  Status encodeRow(const float *row, int64_t r, int64_t cols,
                   const float *importance, float *scratch, uint8_t *dst) const;
};

/// A codec without the calibrated encoder's hooks (ptqtp is data-free,
/// twla calibrates in encodeTwla): encodeRowsCalibrated refuses it before
/// any hook is called.
class UncalibratedBlockCodec : public BlockCodec {
protected:
  using BlockCodec::BlockCodec;

private:
  bool hasCalibratedEncoder() const final { return false; }
  void fitScales(const float *, const float *, BlockCode &) const final {
    std::abort();
  }
  void snap(const float *, const float *, int64_t, BlockCode &,
            float *) const final {
    std::abort();
  }
  void pack(const BlockCode &, uint8_t *) const final { std::abort(); }
};

/// Runs fn(begin, end) over contiguous row ranges on up to `threads` threads
/// (0 = hardware concurrency) and returns the error of the lowest range.
Status forEachRowRange(int64_t rows, unsigned threads,
                       const std::function<Status(int64_t, int64_t)> &fn);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_BLOCKCODEC_H
