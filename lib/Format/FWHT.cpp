//===- FWHT.cpp - Orthonormal FWHT-64/256 and seeded signs ----------------===//

#include "itq3/Format/FWHT.h"

#include <cassert>

namespace itq3::format {

bool isFwhtSize(int64_t n) {
  // 4^k from 64: the 1/sqrt(n) scaling is then a power of two, exact.
  return n == 64 || n == 256;
}

/// The butterflies and scaling of fwht for a size known at compile time, so
/// that the loops have constant trip counts.
template <int64_t N> static void fwhtOfSize(float *block) {
  // Inner loops run over contiguous, non-aliasing halves so that the
  // compiler vectorizes them; strides 1 and 2 are short but cheap.
  for (int64_t len = 1; len < N; len <<= 1) {
    for (int64_t base = 0; base < N; base += 2 * len) {
      float *lo = block + base;
      float *hi = lo + len;
      for (int64_t j = 0; j < len; ++j) {
        float u = lo[j], v = hi[j];
        lo[j] = u + v;
        hi[j] = u - v;
      }
    }
  }
  constexpr float kScale = N == 256 ? 0.0625f : 0.125f; // 1/sqrt(N)
  for (int64_t j = 0; j < N; ++j)
    block[j] *= kScale;
}

void fwht(float *block, int64_t n) {
  assert(isFwhtSize(n) && "unsupported FWHT size");
  if (n == 256)
    fwhtOfSize<256>(block);
  else
    fwhtOfSize<64>(block);
}

void fwht256(float *block) { fwht(block, kFwhtSize); }

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

static void applySigns(float *block, int64_t n, uint64_t seed,
                       int64_t firstColumn) {
  if (seed == 0)
    return;
  for (int64_t j = 0; j < n; ++j)
    block[j] *= fwhtSign(seed, firstColumn + j);
}

void rotateBlock(float *block, uint64_t seed, int64_t firstColumn, int64_t n) {
  applySigns(block, n, seed, firstColumn);
  fwht(block, n);
}

void unrotateBlock(float *block, uint64_t seed, int64_t firstColumn,
                   int64_t n) {
  fwht(block, n);
  applySigns(block, n, seed, firstColumn);
}

void rotateRow(float *row, int64_t cols, uint64_t seed, int64_t n) {
  for (int64_t c = 0; c + n <= cols; c += n)
    rotateBlock(row + c, seed, c, n);
}

void unrotateRow(float *row, int64_t cols, uint64_t seed, int64_t n) {
  for (int64_t c = 0; c + n <= cols; c += n)
    unrotateBlock(row + c, seed, c, n);
}

} // namespace itq3::format
