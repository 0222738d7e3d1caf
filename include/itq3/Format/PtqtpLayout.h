//===- PtqtpLayout.h - The stored block of the ptqtp format -----*- C++ -*-===//
//
// One block is 128 weights of a row in 56 bytes (3.5 bits per weight, every
// byte counted):
//   bytes 0-1   fp16 d >= 0
//   byte  2     m1, byte 3 m2: unsigned, m1 + m2 <= 127
//   bytes 4-55  four groups of 13 bytes, group g for columns 32g .. 32g+31
// and weight j of the block decodes to
//   w = d * (m1 * t1 + m2 * t2),  t1, t2 in {-1, 0, 1}.
// So a1 = d m1 and a2 = d m2 are the two plane scales, stored as one fp16 and
// two 7-bit ratios (32 bits, as two fp16 scales would be), which makes the
// decode exact in int8: code = m1 t1 + m2 t2 lies in [-127, 127] and one
// scale d serves it, so the int8 kernels of every other format serve ptqtp
// unchanged (one dot product per group, not one per plane).
//
// A group of 32 columns holds 64 trits: trit s < 32 is t1 of column 32g + s,
// trit 32 + s is t2 of it, trit 64 is padding (zero). Trits are packed five
// per byte (base 3, 1.6 bits each): trit s is digit s / 13 of byte s % 13 of
// the group, so that a 32-column vector decode shuffles the 13 bytes with a
// fixed pattern whatever the group. A byte holding the unsigned digits
// u0..u4 (u = t + 1, u0 most significant) stores
//   q = ceil(256 * (81 u0 + 27 u1 + 9 u2 + 3 u3 + u4) / 243),
// the base-3 fraction in 8-bit fixed point (as llama.cpp's TQ1_0), so that
// digit k is ((q * 3^k) mod 256) * 3 >> 8: a multiply and a shift, no
// division.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_PTQTPLAYOUT_H
#define ITQ3_FORMAT_PTQTPLAYOUT_H

#include <cstdint>

namespace itq3::format::ptqtp {

constexpr int kBlock = 128;
constexpr int kGroup = 32;
constexpr int kGroupBytes = 13;
constexpr int kTritsPerByte = 5;
constexpr int kScaleBytes = 4; // d, m1, m2
constexpr int kBlockBytes = kScaleBytes + kBlock / kGroup * kGroupBytes;
static_assert(kBlockBytes == 56, "3.5 bits per weight");
/// m1 + m2: the largest |code|.
constexpr int kCodeMax = 127;

/// Byte (within its group) and digit of trit s (0..63) of a group.
constexpr int tritByte(int s) { return s % kGroupBytes; }
constexpr int tritDigit(int s) { return s / kGroupBytes; }

constexpr int pow3(int k) { return k == 0 ? 1 : 3 * pow3(k - 1); }

/// The stored byte of five unsigned digits (each 0..2, u[0] most
/// significant).
constexpr uint8_t packDigits(const uint8_t u[kTritsPerByte]) {
  int value = 0;
  for (int k = 0; k < kTritsPerByte; ++k)
    value = 3 * value + u[k];
  return uint8_t((256 * value + 242) / 243);
}

/// Digit k (0..4) of a stored byte, 0..2.
constexpr int unpackDigit(uint8_t q, int k) {
  return (uint8_t(q * pow3(k)) * 3) >> 8;
}

} // namespace itq3::format::ptqtp

#endif // ITQ3_FORMAT_PTQTPLAYOUT_H
