//===- TwlaCodec.cpp - twla as a codec: groups of 64, weight-only fit -----===//
//
// The stored form of Twla.h at G = 64 (17 bytes, 2.125 bits per weight) as
// one codec, so that the compiler folds and decodes twla like every other
// format. The codec runs step 1 of the fit only (no calibration, no
// rotation): the calibrated fit (error feedback, the H re-solve) is
// encodeTwla with a second moment, and the Kronecker rotation is applied to
// the weights before and to the activations at run time, outside the codec.
// Both write the same bytes, which this codec decodes.
//
//===----------------------------------------------------------------------===//

#include "BlockCodec.h"
#include "TwlaCodec.h"

#include "itq3/Format/Half.h"
#include "itq3/Format/Twla.h"


namespace itq3::format::detail {

namespace {

constexpr int64_t kGroup = 64;

class TwlaCodec final : public UncalibratedBlockCodec {
public:
  explicit TwlaCodec(CodecOptions options) : UncalibratedBlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::TWLA; }
  int64_t blockSize() const override { return kGroup; }
  int64_t bytesPerBlock() const override { return twlaGroupBytes(kGroup); }

private:
  void encodeBlock(const float *v, const float *, uint8_t *dst) const override {
    encodeTwlaGroup(v, kGroup, TwlaParams{}, dst);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    decodeTwlaGroup(src, kGroup, dst);
  }
  float maxMagnitude() const override { return kHalfMax * kTwlaCodeMax; }
};

} // namespace

std::unique_ptr<Codec> createTwlaCodec(CodecOptions options) {
  return std::make_unique<TwlaCodec>(options);
}

} // namespace itq3::format::detail
