//===- Checksum.cpp - XXH64 ------------------------------------------------===//
#include "itq3/Runtime/Checksum.h"

#include <cstring>

namespace itq3::rt {
namespace {

constexpr uint64_t P1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t P2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t P3 = 0x165667B19E3779F9ull;
constexpr uint64_t P4 = 0x85EBCA77C2B2CA63ull;
constexpr uint64_t P5 = 0x27D4EB2F165667C5ull;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian loads whatever the host order, so a checksum written on one
// machine verifies on any other.
uint64_t load64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

uint64_t load32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

uint64_t round(uint64_t acc, uint64_t input) {
  acc += input * P2;
  return rotl(acc, 31) * P1;
}

uint64_t mergeRound(uint64_t acc, uint64_t lane) {
  acc ^= round(0, lane);
  return acc * P1 + P4;
}

uint64_t avalanche(uint64_t h) {
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

/// The 32-byte stripes: four independent lanes, so the multiplies overlap.
uint64_t stripes(const uint8_t *&p, const uint8_t *end, uint64_t seed) {
  uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
  while (end - p >= 32) {
    v1 = round(v1, load64(p));
    v2 = round(v2, load64(p + 8));
    v3 = round(v3, load64(p + 16));
    v4 = round(v4, load64(p + 24));
    p += 32;
  }
  uint64_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
  h = mergeRound(h, v1);
  h = mergeRound(h, v2);
  h = mergeRound(h, v3);
  return mergeRound(h, v4);
}

} // namespace

uint64_t checksum64(const uint8_t *data, uint64_t size, uint64_t seed) {
  const uint8_t *p = data, *end = data + size;
  uint64_t h = size >= 32 ? stripes(p, end, seed) : seed + P5;
  h += size;
  for (; end - p >= 8; p += 8) {
    h ^= round(0, load64(p));
    h = rotl(h, 27) * P1 + P4;
  }
  if (end - p >= 4) {
    h ^= load32(p) * P1;
    h = rotl(h, 23) * P2 + P3;
    p += 4;
  }
  for (; p < end; ++p) {
    h ^= uint64_t(*p) * P5;
    h = rotl(h, 11) * P1;
  }
  return avalanche(h);
}

} // namespace itq3::rt
