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

#include <functional>

namespace itq3::format::detail {

class BlockCodec : public Codec {
public:
  Status encodeRows(const float *src, int64_t rows, int64_t cols, uint8_t *dst,
                    const EncodeOptions &opts) const final;
  Status decodeRows(const uint8_t *src, int64_t rows, int64_t cols,
                    float *dst) const final;
  Status decodeRowsStored(const uint8_t *src, int64_t rows, int64_t cols,
                          float *dst) const final;

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
                bool undoRotation) const;
  Status encodeRow(const float *row, int64_t r, int64_t cols,
                   const float *importance, float *scratch, uint8_t *dst) const;
};

/// Runs fn(begin, end) over contiguous row ranges on up to `threads` threads
/// (0 = hardware concurrency) and returns the error of the lowest range.
Status forEachRowRange(int64_t rows, unsigned threads,
                       const std::function<Status(int64_t, int64_t)> &fn);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_BLOCKCODEC_H
