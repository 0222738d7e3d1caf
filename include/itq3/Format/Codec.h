//===- Codec.h - Weight formats: one interface, many codecs -----*- C++ -*-===//
//
// A weight matrix W is [rows = N, cols = K]; blocks run along K and every row
// is stored contiguously as cols / blockSize() blocks of bytesPerBlock()
// bytes. Codecs are stateless apart from their options and thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_CODEC_H
#define ITQ3_FORMAT_CODEC_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace itq3::format {

namespace detail {
class BlockCodec;
} // namespace detail

/// Every format of lib/Format. The spelling of each is what formatName()
/// returns and what the `#itq3.format<...>` attribute prints.
enum class FormatKind : uint8_t {
  F16,   // "f16": IEEE half, block 1, 2 bytes.
  Q8,    // "q8": per-32 int8 with fp16 scale, 34 bytes (8.5 bpw).
  Q4,    // "q4": per-32 symmetric 4-bit with fp16 scale, 18 bytes (4.5 bpw).
  Q3,    // "q3": per-32 uniform 3-bit with fp16 scale, 14 bytes (3.5 bpw).
  Q3R,   // "q3r": q3 applied to FWHT-256-rotated rows (block 256).
  IQ3,   // "iq3": 110-byte grid container, no rotation (3.4375 bpw).
  ITQ3S, // "itq3_s": FWHT-256 rotation + the 110-byte grid container.
  PTQTP, // "ptqtp": two trit-planes per 128 (PtqtpLayout.h), 56 bytes (3.5 bpw).
  TWLA,  // "twla": asymmetric ternary per 64 (Twla.h), 17 bytes (2.125 bpw).
  ITQ3S64, // "itq3_s64": FWHT-64 rotation + the 29-byte grid container of 64
           // (3.625 bpw): itq3_s for K that is a multiple of 64, not of 256.
};

std::string_view formatName(FormatKind kind);
std::optional<FormatKind> parseFormatName(std::string_view name);
/// All kinds, in declaration order (for tools, tests and benchmarks).
const std::vector<FormatKind> &allFormats();
/// The format of the same family with a smaller block, for K that `kind`'s
/// block does not divide: itq3_s -> itq3_s64; none for the others.
std::optional<FormatKind> narrowerFormat(FormatKind kind);

/// Options fixed when a codec is created; they must be the same for encode
/// and decode, so whatever stores packed data stores these too.
struct CodecOptions {
  /// Rotated formats only: 0 = plain FWHT; otherwise the seed of the random
  /// +-1 diagonal D applied before H (r = H D w, w = D H r).
  uint64_t signSeed = 0;
};

/// Options of one encode call.
struct EncodeOptions {
  /// Optional per-column importance (length cols), e.g. E[x_i^2] from
  /// calibration; for rotated formats it must already be in the rotated
  /// domain. Null means the codec's default weighting.
  const float *importance = nullptr;
  /// Worker threads; 0 = std::thread::hardware_concurrency().
  unsigned threads = 0;
};

class Codec {
public:
  virtual ~Codec() = default;

  virtual FormatKind kind() const = 0;
  std::string_view name() const { return formatName(kind()); }
  /// Weights per block along K.
  virtual int64_t blockSize() const = 0;
  /// Stored bytes per block, every scale and sign included.
  virtual int64_t bytesPerBlock() const = 0;
  /// The FWHT size of rotated formats, whose stored blocks hold r = H D w
  /// per block of that many weights; 0 for unrotated formats.
  virtual int64_t rotationBlock() const { return 0; }
  bool isRotated() const { return rotationBlock() > 0; }
  const CodecOptions &options() const { return options_; }

  /// Bits per weight computed from the stored bytes.
  double bitsPerWeight() const {
    return 8.0 * double(bytesPerBlock()) / double(blockSize());
  }
  /// Error unless cols > 0 and cols is a multiple of blockSize().
  Status checkShape(int64_t rows, int64_t cols) const;
  int64_t rowBytes(int64_t cols) const {
    return cols / blockSize() * bytesPerBlock();
  }
  int64_t matrixBytes(int64_t rows, int64_t cols) const {
    return rows * rowBytes(cols);
  }

  /// Encodes src[rows x cols] (row-major) into dst (matrixBytes bytes).
  /// Fails on a bad shape or on a NaN/Inf input, naming the position.
  virtual Status encodeRows(const float *src, int64_t rows, int64_t cols,
                            uint8_t *dst, const EncodeOptions &opts = {}) const = 0;
  /// Decodes back to floats in the weight domain (rotation undone), on up
  /// to `threads` threads (0 = hardware concurrency; 1 when the caller runs
  /// its own thread pool).
  virtual Status decodeRows(const uint8_t *src, int64_t rows, int64_t cols,
                            float *dst, unsigned threads = 0) const = 0;
  /// Decodes the values as stored, rotation NOT undone: for rotated codecs
  /// the coded r = H D w of every rotation block (what the activation-side
  /// placement multiplies with H D x); for the others the same as decodeRows.
  virtual Status decodeRowsStored(const uint8_t *src, int64_t rows,
                                  int64_t cols, float *dst) const {
    return decodeRows(src, rows, cols, dst);
  }

  /// The block-coder interface of the calibrated encoder (Calibrated.h);
  /// every codec of createCodec has one.
  virtual const detail::BlockCodec *blockCodec() const { return nullptr; }

protected:
  explicit Codec(CodecOptions options) : options_(options) {}

private:
  CodecOptions options_;
};

std::unique_ptr<Codec> createCodec(FormatKind kind, CodecOptions options = {});

} // namespace itq3::format

#endif // ITQ3_FORMAT_CODEC_H
