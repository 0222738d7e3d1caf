//===- ScalarCodecs.cpp - f16, q8, q4, q3 and q3r -------------------------===//
//
// Byte layouts (all fp16 little-endian, see Codec.h for the kinds):
//   f16  block 1, 2 bytes: the IEEE half.
//   q8   block 32, 34 bytes: fp16 d, int8 q[32]; w = d q, q in -127..127.
//   q4   block 32, 18 bytes: fp16 d, 16 nibble bytes; weight j < 16 is the
//        low nibble of byte 2+j, weight j >= 16 the high nibble of byte
//        2+j-16; w = d (q - 8).
//   q3   block 32, 14 bytes: fp16 d, 12 bytes holding 32 3-bit codes as a
//        little-endian bit stream (code j at stream bits 3j..3j+2, stream
//        bit b = bit b%8 of byte 2 + b/8); w = d (2q - 7).
//   q3r  block 256, 112 bytes: the FWHT-256 rotated block (r = H D w) coded
//        as 8 consecutive q3 blocks.
//
//===----------------------------------------------------------------------===//

#include "BlockCodec.h"
#include "ScalarFit.h"
#include "ScalarCodecs.h"

#include "itq3/Format/FWHT.h"
#include "itq3/Format/Half.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace itq3::format::detail {

namespace {

constexpr int kScalarBlock = 32;

/// Trial levels for the largest-magnitude value, every quarter step: q3
/// maps it to +-4..8 of its +-7 range (clipping allowed), q4 to the -8 end
/// or the +7 end of its asymmetric range.
std::vector<float> stepRange(float from, float to) {
  std::vector<float> out;
  for (float t = from; t <= to + 1e-6f; t += 0.25f)
    out.push_back(t);
  return out;
}

const std::vector<float> &q3Targets() {
  static const std::vector<float> targets = stepRange(4.0f, 8.5f);
  return targets;
}

const std::vector<float> &q4Targets() {
  static const std::vector<float> targets = [] {
    std::vector<float> t = stepRange(-8.75f, -5.5f);
    std::vector<float> positive = stepRange(5.0f, 7.5f);
    t.insert(t.end(), positive.begin(), positive.end());
    return t;
  }();
  return targets;
}

constexpr UniformLevels kQ3Levels = {2, -7, 7};
constexpr UniformLevels kQ4Levels = {1, -8, 15};

class F16Codec final : public BlockCodec {
public:
  explicit F16Codec(CodecOptions options) : BlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::F16; }
  int64_t blockSize() const override { return 1; }
  int64_t bytesPerBlock() const override { return 2; }

private:
  void encodeBlock(const float *v, const float *, uint8_t *dst) const override {
    storeHalf(dst, v[0]);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    dst[0] = loadHalf(src);
  }
  float maxMagnitude() const override { return kHalfMax; }
  // No scale: the code is the half itself (its bits kept in code[0]).
  void fitScales(const float *, const float *, BlockCode &) const override {}
  void snap(const float *v, const float *, int64_t, BlockCode &code,
            float *q) const override {
    uint8_t bits[2];
    storeHalf(bits, v[0]);
    code.code[0] = bits[0] | bits[1] << 8;
    q[0] = loadHalf(bits);
  }
  void pack(const BlockCode &code, uint8_t *dst) const override {
    dst[0] = uint8_t(code.code[0]);
    dst[1] = uint8_t(code.code[0] >> 8);
  }
};

class Q8Codec final : public BlockCodec {
public:
  explicit Q8Codec(CodecOptions options) : BlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::Q8; }
  int64_t blockSize() const override { return kScalarBlock; }
  int64_t bytesPerBlock() const override { return 34; }

private:
  void encodeBlock(const float *v, const float *, uint8_t *dst) const override {
    float amax = 0;
    for (int i = 0; i < kScalarBlock; ++i)
      amax = std::max(amax, std::fabs(v[i]));
    float d = roundToHalf(std::min(amax / 127.0f, kHalfMax));
    storeHalf(dst, d);
    float inv = d > 0 ? 1.0f / d : 0.0f;
    for (int i = 0; i < kScalarBlock; ++i) {
      float q = std::clamp(std::nearbyint(v[i] * inv), -127.0f, 127.0f);
      dst[2 + i] = uint8_t(int8_t(q));
    }
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    float d = loadHalf(src);
    for (int i = 0; i < kScalarBlock; ++i)
      dst[i] = d * float(int8_t(src[2 + i]));
  }
  float maxMagnitude() const override { return kHalfMax * 127.0f; }
  void fitScales(const float *v, const float *, BlockCode &code) const override {
    float amax = 0;
    for (int i = 0; i < kScalarBlock; ++i)
      amax = std::max(amax, std::fabs(v[i]));
    code.scale[0] = roundToHalf(std::min(amax / 127.0f, kHalfMax));
  }
  void snap(const float *v, const float *, int64_t j, BlockCode &code,
            float *q) const override {
    float d = code.scale[0], inv = d > 0 ? 1.0f / d : 0.0f;
    float c = std::clamp(std::nearbyint(v[0] * inv), -127.0f, 127.0f);
    code.code[j] = int(c);
    q[0] = d * c;
  }
  void pack(const BlockCode &code, uint8_t *dst) const override {
    storeHalf(dst, code.scale[0]);
    for (int i = 0; i < kScalarBlock; ++i)
      dst[2 + i] = uint8_t(int8_t(code.code[i]));
  }
};

/// Scalar snap at a fixed scale d (0: the code nearest to level 0).
float snapUniform(float v, float d, const UniformLevels &L, int &code) {
  // v * (1 / d), as fitUniform computes its codes: the same code for the
  // same scale, bit for bit.
  code = L.code(d != 0 ? v * (1.0f / d) : 0.0f);
  return d * float(L.level(code));
}

class Q4Codec final : public BlockCodec {
public:
  explicit Q4Codec(CodecOptions options) : BlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::Q4; }
  int64_t blockSize() const override { return kScalarBlock; }
  int64_t bytesPerBlock() const override { return 18; }

private:
  void encodeBlock(const float *v, const float *imp, uint8_t *dst) const override {
    uint8_t codes[kScalarBlock];
    float d = fitUniform(v, imp, kScalarBlock, kQ4Levels, q4Targets(), codes);
    packQ4(d, codes, dst);
  }
  static void packQ4(float d, const uint8_t *codes, uint8_t *dst) {
    storeHalf(dst, d);
    for (int j = 0; j < 16; ++j)
      dst[2 + j] = uint8_t(codes[j] | (codes[j + 16] << 4));
  }
  void fitScales(const float *v, const float *imp, BlockCode &code) const override {
    uint8_t codes[kScalarBlock];
    code.scale[0] = fitUniform(v, imp, kScalarBlock, kQ4Levels, q4Targets(), codes);
  }
  void snap(const float *v, const float *, int64_t j, BlockCode &code,
            float *q) const override {
    q[0] = snapUniform(v[0], code.scale[0], kQ4Levels, code.code[j]);
  }
  void pack(const BlockCode &code, uint8_t *dst) const override {
    uint8_t codes[kScalarBlock];
    for (int i = 0; i < kScalarBlock; ++i)
      codes[i] = uint8_t(code.code[i]);
    packQ4(code.scale[0], codes, dst);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    float d = loadHalf(src);
    for (int j = 0; j < 16; ++j) {
      dst[j] = d * float((src[2 + j] & 0xf) - 8);
      dst[j + 16] = d * float((src[2 + j] >> 4) - 8);
    }
  }
  float maxMagnitude() const override { return kHalfMax * 8.0f; }
};

} // namespace

void encodeQ3Block(const float *v, const float *imp, uint8_t *dst) {
  uint8_t codes[kScalarBlock];
  float d = fitUniform(v, imp, kScalarBlock, kQ3Levels, q3Targets(), codes);
  packQ3Block(d, codes, dst);
}

float fitQ3Scale(const float *v, const float *imp) {
  uint8_t codes[kScalarBlock];
  return fitUniform(v, imp, kScalarBlock, kQ3Levels, q3Targets(), codes);
}

float snapQ3(float v, float d, int &code) {
  return snapUniform(v, d, kQ3Levels, code);
}

void packQ3Block(float d, const uint8_t *codes, uint8_t *dst) {
  std::memset(dst, 0, kQ3BlockBytes);
  storeHalf(dst, d);
  for (int j = 0; j < kScalarBlock; ++j) {
    int bit = 3 * j;
    dst[2 + bit / 8] |= uint8_t(codes[j] << (bit % 8));
    if (bit % 8 > 5) // the code straddles two bytes
      dst[2 + bit / 8 + 1] |= uint8_t(codes[j] >> (8 - bit % 8));
  }
}

void decodeQ3Block(const uint8_t *src, float *dst) {
  float d = loadHalf(src);
  for (int j = 0; j < kScalarBlock; ++j) {
    int bit = 3 * j;
    int pair = src[2 + bit / 8] | (bit / 8 + 1 < 12 ? src[2 + bit / 8 + 1] << 8 : 0);
    int q = (pair >> (bit % 8)) & 7;
    dst[j] = d * float(2 * q - 7);
  }
}

namespace {

/// Sub-block s of `code` (codes 32 s .. 32 s + 31, scale s) as a q3 block.
void packQ3Codes(const BlockCode &code, int s, uint8_t *dst) {
  uint8_t codes[kScalarBlock];
  for (int i = 0; i < kScalarBlock; ++i)
    codes[i] = uint8_t(code.code[s * kScalarBlock + i]);
  packQ3Block(code.scale[s], codes, dst);
}

class Q3Codec final : public BlockCodec {
public:
  explicit Q3Codec(CodecOptions options) : BlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::Q3; }
  int64_t blockSize() const override { return kScalarBlock; }
  int64_t bytesPerBlock() const override { return kQ3BlockBytes; }

private:
  void encodeBlock(const float *v, const float *imp, uint8_t *dst) const override {
    encodeQ3Block(v, imp, dst);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    decodeQ3Block(src, dst);
  }
  float maxMagnitude() const override { return kHalfMax * 7.0f; }
  void fitScales(const float *v, const float *imp, BlockCode &code) const override {
    code.scale[0] = fitQ3Scale(v, imp);
  }
  void snap(const float *v, const float *, int64_t j, BlockCode &code,
            float *q) const override {
    q[0] = snapQ3(v[0], code.scale[0], code.code[j]);
  }
  void pack(const BlockCode &code, uint8_t *dst) const override {
    packQ3Codes(code, 0, dst);
  }
};

class Q3RCodec final : public BlockCodec {
public:
  explicit Q3RCodec(CodecOptions options) : BlockCodec(options) {}
  FormatKind kind() const override { return FormatKind::Q3R; }
  int64_t blockSize() const override { return 256; }
  int64_t bytesPerBlock() const override { return 8 * kQ3BlockBytes; }
  int64_t rotationBlock() const override { return kFwhtSize; }

private:
  void encodeBlock(const float *v, const float *imp, uint8_t *dst) const override {
    for (int s = 0; s < 8; ++s)
      encodeQ3Block(v + s * kScalarBlock, imp ? imp + s * kScalarBlock : nullptr,
                    dst + s * kQ3BlockBytes);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    for (int s = 0; s < 8; ++s)
      decodeQ3Block(src + s * kQ3BlockBytes, dst + s * kScalarBlock);
  }
  float maxMagnitude() const override { return kHalfMax * 7.0f; }
  void fitScales(const float *v, const float *imp, BlockCode &code) const override {
    for (int s = 0; s < 8; ++s)
      code.scale[s] = fitQ3Scale(v + s * kScalarBlock,
                                 imp ? imp + s * kScalarBlock : nullptr);
  }
  void snap(const float *v, const float *, int64_t j, BlockCode &code,
            float *q) const override {
    q[0] = snapQ3(v[0], code.scale[j / kScalarBlock], code.code[j]);
  }
  void pack(const BlockCode &code, uint8_t *dst) const override {
    for (int s = 0; s < 8; ++s)
      packQ3Codes(code, s, dst + s * kQ3BlockBytes);
  }
};

} // namespace

std::unique_ptr<Codec> createScalarCodec(FormatKind kind, CodecOptions options) {
  switch (kind) {
  case FormatKind::F16: return std::make_unique<F16Codec>(options);
  case FormatKind::Q8: return std::make_unique<Q8Codec>(options);
  case FormatKind::Q4: return std::make_unique<Q4Codec>(options);
  case FormatKind::Q3: return std::make_unique<Q3Codec>(options);
  case FormatKind::Q3R: return std::make_unique<Q3RCodec>(options);
  default: return nullptr;
  }
}

} // namespace itq3::format::detail
