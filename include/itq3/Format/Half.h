//===- Half.h - IEEE binary16 <-> binary32 conversion -----------*- C++ -*-===//
//
// Portable conversions (no _Float16, no F16C intrinsics) so that the compiler,
// the runtime and the tests agree bit for bit on every host. Float to half
// rounds to nearest, ties to even; it produces subnormal halves, +-inf on
// overflow and keeps NaN a (quiet) NaN with the top payload bits.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_HALF_H
#define ITQ3_FORMAT_HALF_H

#include <cstdint>
#include <cstring>

namespace itq3::format {

/// Largest finite half value.
constexpr float kHalfMax = 65504.0f;
/// Half the smallest subnormal half: any fp16 scale below it stores as 0, so
/// a block whose largest magnitude is at most this decodes to zero whatever
/// its codes (encoders write it as zero and never divide by it).
constexpr float kHalfZeroBelow = 0x1p-25f;

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

namespace detail {
/// Rounds `mantissa >> shift` to nearest, ties to even. A carry out of the
/// mantissa correctly bumps the exponent field of the caller's result.
inline uint32_t roundShift(uint32_t mantissa, int shift) {
  uint32_t kept = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1u);
  uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (kept & 1u)))
    ++kept;
  return kept;
}
} // namespace detail

inline uint16_t floatToHalf(float f) {
  uint32_t u = floatBits(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  int exponent = int((u >> 23) & 0xffu);
  uint32_t mantissa = u & 0x7fffffu;
  if (exponent == 0xff) // inf or NaN; a NaN keeps the quiet bit set
    return uint16_t(sign | 0x7c00u | (mantissa ? 0x200u | (mantissa >> 13) : 0u));
  int e = exponent - 127 + 15;
  if (e >= 31)
    return uint16_t(sign | 0x7c00u);
  if (e >= 1) // normal: 13 mantissa bits dropped; a carry may reach inf
    return uint16_t(sign | detail::roundShift((uint32_t(e) << 23) | mantissa, 13));
  if (e < -10) // below half the smallest subnormal (2^-25): +-0
    return sign;
  // Subnormal half: the implicit bit becomes explicit, shifted into place.
  return uint16_t(sign | detail::roundShift(mantissa | 0x800000u, 14 - e));
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) { // zero or subnormal: mantissa * 2^-24, exact in float
    float magnitude = float(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31)
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// Rounds to the nearest half and back: the value a stored fp16 holds.
inline float roundToHalf(float f) { return halfToFloat(floatToHalf(f)); }

/// Little-endian fp16 load/store into a byte buffer (layouts are byte exact).
inline void storeHalf(uint8_t *dst, float f) {
  uint16_t h = floatToHalf(f);
  dst[0] = uint8_t(h & 0xff);
  dst[1] = uint8_t(h >> 8);
}

inline float loadHalf(const uint8_t *src) {
  return halfToFloat(uint16_t(src[0] | (uint16_t(src[1]) << 8)));
}

} // namespace itq3::format

#endif // ITQ3_FORMAT_HALF_H
