//===- GGML.cpp - Dequantizers for the GGML storage types -----------------===//
//
// Written from the public description of the block layouts. Every block
// type stores its scales as IEEE half floats; nibbles are packed so that the
// low nibbles of a group of bytes are the first half of the group's weights
// and the high nibbles the second half.
//
//===----------------------------------------------------------------------===//

#include "GGML.h"

#include <cmath>
#include <cstring>

namespace itq3::model::ggml {

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h >> 15) << 31;
  int exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  float f;
  if (exp == 0) { // zero or subnormal: mant * 2^-24
    f = std::ldexp(float(mant), -24);
  } else if (exp == 31) {
    f = mant ? NAN : INFINITY;
  } else {
    uint32_t bits = (uint32_t(exp + 112) << 23) | (mant << 13);
    std::memcpy(&f, &bits, 4);
  }
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits |= sign;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

uint16_t u16(const uint8_t *p) { return uint16_t(p[0] | (p[1] << 8)); }
float half(const uint8_t *p) { return halfToFloat(u16(p)); }

void f32(const uint8_t *src, float *dst, int64_t n) {
  std::memcpy(dst, src, size_t(n) * 4);
}
void f16(const uint8_t *src, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = half(src + 2 * i);
}
void bf16(const uint8_t *src, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = bf16ToFloat(u16(src + 2 * i));
}

/// Q8_0: half d, 32 x int8; w = d * q.
void q8_0(const uint8_t *src, float *dst, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, src += 34, dst += 32) {
    float d = half(src);
    for (int i = 0; i < 32; ++i)
      dst[i] = d * float(int8_t(src[2 + i]));
  }
}

/// Q4_0: half d, 16 bytes of nibbles; w = d * (q - 8).
void q4_0(const uint8_t *src, float *dst, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, src += 18, dst += 32) {
    float d = half(src);
    for (int i = 0; i < 16; ++i) {
      dst[i] = d * float((src[2 + i] & 0xF) - 8);
      dst[i + 16] = d * float((src[2 + i] >> 4) - 8);
    }
  }
}

/// Q4_1: half d, half m, 16 bytes of nibbles; w = d * q + m.
void q4_1(const uint8_t *src, float *dst, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, src += 20, dst += 32) {
    float d = half(src), m = half(src + 2);
    for (int i = 0; i < 16; ++i) {
      dst[i] = d * float(src[4 + i] & 0xF) + m;
      dst[i + 16] = d * float(src[4 + i] >> 4) + m;
    }
  }
}

/// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block,
/// packed in 12 bytes: sub-blocks 0-3 in the low 6 bits of bytes 0-3 (scale)
/// and 4-7 (min); sub-blocks 4-7 split into a nibble in bytes 8-11 and two
/// high bits taken from the top of bytes 0-7.
void scaleMin(const uint8_t *s, int j, float &scale, float &min) {
  if (j < 4) {
    scale = float(s[j] & 63);
    min = float(s[j + 4] & 63);
  } else {
    scale = float((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    min = float((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

/// Q4_K: 256 weights = 8 sub-blocks of 32; half d, half dmin, 12 bytes of
/// scales/mins, 128 bytes of nibbles (each 32 bytes hold two sub-blocks).
/// w = d * scale * q - dmin * min.
void q4_k(const uint8_t *src, float *dst, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, src += 144, dst += 256) {
    float d = half(src), dmin = half(src + 2);
    const uint8_t *scales = src + 4, *q = src + 16;
    for (int pair = 0; pair < 4; ++pair, q += 32) {
      float s0, m0, s1, m1;
      scaleMin(scales, 2 * pair, s0, m0);
      scaleMin(scales, 2 * pair + 1, s1, m1);
      float *y = dst + pair * 64;
      for (int i = 0; i < 32; ++i) {
        y[i] = d * s0 * float(q[i] & 0xF) - dmin * m0;
        y[i + 32] = d * s1 * float(q[i] >> 4) - dmin * m1;
      }
    }
  }
}

/// Q5_K: as Q4_K plus a fifth bit per weight in 32 bytes qh: sub-block j
/// takes bit j of each qh byte. Layout: d, dmin, scales[12], qh[32], qs[128].
void q5_k(const uint8_t *src, float *dst, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, src += 176, dst += 256) {
    float d = half(src), dmin = half(src + 2);
    const uint8_t *scales = src + 4, *qh = src + 16, *q = src + 48;
    for (int pair = 0; pair < 4; ++pair, q += 32) {
      float s0, m0, s1, m1;
      scaleMin(scales, 2 * pair, s0, m0);
      scaleMin(scales, 2 * pair + 1, s1, m1);
      int bit0 = 2 * pair, bit1 = 2 * pair + 1;
      float *y = dst + pair * 64;
      for (int i = 0; i < 32; ++i) {
        int lo = (q[i] & 0xF) | (((qh[i] >> bit0) & 1) << 4);
        int hi = (q[i] >> 4) | (((qh[i] >> bit1) & 1) << 4);
        y[i] = d * s0 * float(lo) - dmin * m0;
        y[i + 32] = d * s1 * float(hi) - dmin * m1;
      }
    }
  }
}

/// Q6_K: 256 weights = 16 sub-blocks of 16 with int8 scales; 6-bit values
/// (low 4 bits in ql[128], high 2 bits in qh[64]) minus 32; d (half) last.
/// Each half of 128 weights uses 64 ql bytes and 32 qh bytes: weight
/// l + 32*g (g = 0..3) takes nibble (g / 2) of ql[l + 32*(g % 2)] and bits
/// 2g..2g+1 of qh[l].
void q6_k(const uint8_t *src, float *dst, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, src += 210, dst += 256) {
    const uint8_t *ql = src, *qh = src + 128;
    const int8_t *sc = reinterpret_cast<const int8_t *>(src + 192);
    float d = half(src + 208);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8) {
      float *y = dst + h * 128;
      for (int l = 0; l < 32; ++l)
        for (int g = 0; g < 4; ++g) {
          int low = (ql[l + 32 * (g % 2)] >> (4 * (g / 2))) & 0xF;
          int high = (qh[l] >> (2 * g)) & 3;
          int q = (low | (high << 4)) - 32;
          y[l + 32 * g] = d * float(sc[l / 16 + 2 * g]) * float(q);
        }
    }
  }
}

} // namespace

const TypeInfo *typeInfo(uint32_t id) {
  static const TypeInfo f32T{"f32", 1, 4, f32}, f16T{"f16", 1, 2, f16},
      bf16T{"bf16", 1, 2, bf16}, q8_0T{"q8_0", 32, 34, q8_0},
      q4_0T{"q4_0", 32, 18, q4_0}, q4_1T{"q4_1", 32, 20, q4_1},
      q4_kT{"q4_k", 256, 144, q4_k}, q5_kT{"q5_k", 256, 176, q5_k},
      q6_kT{"q6_k", 256, 210, q6_k};
  switch (id) {
  case 0: return &f32T;
  case 1: return &f16T;
  case 2: return &q4_0T;
  case 3: return &q4_1T;
  case 8: return &q8_0T;
  case 12: return &q4_kT;
  case 13: return &q5_kT;
  case 14: return &q6_kT;
  case 30: return &bf16T;
  default: return nullptr;
  }
}

std::string typeName(uint32_t id) {
  static const char *names[] = {
      "F32",  "F16",    "Q4_0",    "Q4_1",  "Q4_2",   "Q4_3",   "Q5_0",
      "Q5_1", "Q8_0",   "Q8_1",    "Q2_K",  "Q3_K",   "Q4_K",   "Q5_K",
      "Q6_K", "Q8_K",   "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
      "IQ3_S", "IQ2_S", "IQ4_XS",  "I8",    "I16",    "I32",    "I64",
      "F64",  "IQ1_M",  "BF16"};
  if (id < sizeof(names) / sizeof(names[0]))
    return names[id];
  return "type " + std::to_string(id);
}

} // namespace itq3::model::ggml
