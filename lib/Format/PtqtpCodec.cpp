//===- PtqtpCodec.cpp - ptqtp: two trit-planes per 128, stored exactly ----===//
//
// Encode: the float fit of TritPlanes.h, then the scales quantized to the
// stored form (fp16 d, 7-bit m1, m2 with m1 + m2 = 127, see PtqtpLayout.h),
// then a short refit for that form: d by least squares for the planes'
// codes, rounded to fp16, and every weight's pair chosen again for the
// stored (d, m1, m2), twice. The planes that are stored are thus the best
// ones for the scales that decode, and what decodes is exactly
// d * (m1 t1 + m2 t2) in f32 (an 11-bit by 7-bit product).
//
// PTQTP is data-free: the importance weighting of EncodeOptions is not used.
//
//===----------------------------------------------------------------------===//

#include "BlockCodec.h"
#include "PtqtpCodec.h"

#include "itq3/Format/Half.h"
#include "itq3/Format/PtqtpLayout.h"
#include "itq3/Format/TritPlanes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace itq3::format::detail {

namespace {

using namespace ptqtp;

/// The stored scales and planes of one block.
struct StoredBlock {
  float d = 0;
  int m1 = 0, m2 = 0;
  int8_t t1[kBlock] = {}, t2[kBlock] = {};
};

/// Refit rounds of the stored form (each: d by least squares, then pairs).
constexpr int kStoredRefits = 2;

/// Chooses every weight's pair for the stored scales.
void assignPairs(const float *w, StoredBlock &s) {
  double a1 = double(s.d) * s.m1, a2 = double(s.d) * s.m2;
  for (int i = 0; i < kBlock; ++i)
    bestTritPair(w[i], a1, a2, s.t1[i], s.t2[i]);
}

/// fp16 d minimizing the error for the current codes m1 t1 + m2 t2.
float refitScale(const float *w, const StoredBlock &s) {
  double wc = 0, cc = 0;
  for (int i = 0; i < kBlock; ++i) {
    double c = s.m1 * s.t1[i] + s.m2 * s.t2[i];
    wc += w[i] * c;
    cc += c * c;
  }
  float d = cc > 0 ? float(std::max(0.0, wc / cc)) : 0.0f;
  return roundToHalf(std::min(d, kHalfMax));
}

StoredBlock quantizeFit(const float *w, const TritPlaneFit &fit) {
  StoredBlock s;
  double sum = fit.a1 + fit.a2; // a1 >= a2 >= 0
  if (!(sum > 0))
    return s; // all planes zero: d = 0 decodes to exact zeros
  s.m1 = int(std::lround(kCodeMax * fit.a1 / sum));
  s.m2 = kCodeMax - s.m1;
  std::copy(fit.t1.begin(), fit.t1.end(), s.t1);
  std::copy(fit.t2.begin(), fit.t2.end(), s.t2);
  for (int round = 0; round < kStoredRefits; ++round) {
    s.d = refitScale(w, s);
    assignPairs(w, s);
  }
  return s;
}

void packTrits(const StoredBlock &s, uint8_t *dst) {
  for (int g = 0; g < kBlock / kGroup; ++g) {
    // Trit 64 (the padding) is a zero trit: unsigned digit 1.
    uint8_t digits[kGroupBytes][kTritsPerByte];
    std::memset(digits, 1, sizeof digits);
    for (int t = 0; t < 2 * kGroup; ++t) {
      int col = g * kGroup + t % kGroup;
      int8_t trit = t < kGroup ? s.t1[col] : s.t2[col];
      digits[tritByte(t)][tritDigit(t)] = uint8_t(trit + 1);
    }
    for (int j = 0; j < kGroupBytes; ++j)
      dst[kScaleBytes + g * kGroupBytes + j] = packDigits(digits[j]);
  }
}

class PtqtpCodec final : public UncalibratedBlockCodec {
public:
  explicit PtqtpCodec(CodecOptions options) : UncalibratedBlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::PTQTP; }
  int64_t blockSize() const override { return kBlock; }
  int64_t bytesPerBlock() const override { return kBlockBytes; }

private:
  void encodeBlock(const float *v, const float *, uint8_t *dst) const override {
    StoredBlock s = quantizeFit(v, fitTritPlanes(v, kBlock));
    storeHalf(dst, s.d);
    dst[2] = uint8_t(s.m1);
    dst[3] = uint8_t(s.m2);
    packTrits(s, dst);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    int codes[kBlock];
    decodePtqtpCodes(src, codes);
    float d = loadHalf(src);
    for (int i = 0; i < kBlock; ++i)
      dst[i] = d * float(codes[i]);
  }
  // d is clamped to the fp16 range and the codes reach 127.
  float maxMagnitude() const override { return kHalfMax * kCodeMax; }
};

} // namespace

void decodePtqtpCodes(const uint8_t *src, int *codes) {
  int m1 = src[2], m2 = src[3];
  for (int col = 0; col < kBlock; ++col) {
    const uint8_t *group = src + kScaleBytes + col / kGroup * kGroupBytes;
    auto trit = [&](int t) {
      return unpackDigit(group[tritByte(t)], tritDigit(t)) - 1;
    };
    codes[col] = m1 * trit(col % kGroup) + m2 * trit(kGroup + col % kGroup);
  }
}

std::unique_ptr<Codec> createPtqtpCodec(CodecOptions options) {
  return std::make_unique<PtqtpCodec>(options);
}

} // namespace itq3::format::detail
