//===- FWHT.cpp - Orthonormal FWHT-256 and seeded signs -------------------===//

#include "itq3/Format/FWHT.h"

namespace itq3::format {

void fwht256(float *block) {
  // Inner loops run over contiguous, non-aliasing halves so that the
  // compiler vectorizes them; strides 1 and 2 are short but cheap.
  for (int len = 1; len < kFwhtSize; len <<= 1) {
    for (int base = 0; base < kFwhtSize; base += 2 * len) {
      float *lo = block + base;
      float *hi = lo + len;
      for (int j = 0; j < len; ++j) {
        float u = lo[j], v = hi[j];
        lo[j] = u + v;
        hi[j] = u - v;
      }
    }
  }
  // 1/16 = 1/sqrt(256) is a power of two: the scaling is exact.
  for (int j = 0; j < kFwhtSize; ++j)
    block[j] *= 0.0625f;
}

uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float fwhtSign(uint64_t seed, int64_t column) {
  if (seed == 0)
    return 1.0f;
  uint64_t h = splitmix64(seed ^ (uint64_t(column) * 0x9E3779B97F4A7C15ull));
  return (h >> 63) ? -1.0f : 1.0f;
}

static void applySigns(float *block, uint64_t seed, int64_t firstColumn) {
  if (seed == 0)
    return;
  for (int j = 0; j < kFwhtSize; ++j)
    block[j] *= fwhtSign(seed, firstColumn + j);
}

void rotateBlock(float *block, uint64_t seed, int64_t firstColumn) {
  applySigns(block, seed, firstColumn);
  fwht256(block);
}

void unrotateBlock(float *block, uint64_t seed, int64_t firstColumn) {
  fwht256(block);
  applySigns(block, seed, firstColumn);
}

void rotateRow(float *row, int64_t cols, uint64_t seed) {
  for (int64_t c = 0; c + kFwhtSize <= cols; c += kFwhtSize)
    rotateBlock(row + c, seed, c);
}

void unrotateRow(float *row, int64_t cols, uint64_t seed) {
  for (int64_t c = 0; c + kFwhtSize <= cols; c += kFwhtSize)
    unrotateBlock(row + c, seed, c);
}

} // namespace itq3::format
