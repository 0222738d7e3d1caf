//===- FWHT.h - Orthonormal fast Walsh-Hadamard transform ------*- C++ -*-===//
//
// H is the n x n Sylvester Hadamard matrix in natural order scaled by
// 1/sqrt(n) (n = 256, the default, or 64: sizes whose scale is a power of
// two, so the scaling is exact), so H is symmetric and orthonormal (H H = I):
// one routine is both the forward and the inverse transform. The butterfly
// network applies (u, v) -> (u + v, u - v) over strides 1, 2, 4, ..., n/2,
// then scales once.
//
// Optional random signs: D = diag(s_c) with s_c = fwhtSign(seed, c) for the
// absolute column c of the row (the same signs whatever n). Rotated formats
// store r = H D w per n-block and decode w = D H r. Seed 0 means D = I.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_FWHT_H
#define ITQ3_FORMAT_FWHT_H

#include <cstdint>

namespace itq3::format {

constexpr int kFwhtSize = 256;

/// The sizes fwht() supports: 64 and 256.
bool isFwhtSize(int64_t n);
/// In-place orthonormal FWHT of n contiguous floats (isFwhtSize(n)).
void fwht(float *block, int64_t n);
/// fwht(block, 256).
void fwht256(float *block);

/// splitmix64 finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
uint64_t splitmix64(uint64_t x);

/// Sign (+1 or -1) of column `column` for `seed`. Exactly:
///   seed == 0 -> +1;
///   otherwise -1 iff bit 63 of splitmix64(seed ^ (column * 0x9E3779B97F4A7C15))
///   is set (wrap-around multiplication; splitmix64 as in FWHT.cpp:
///   z = x + 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9;
///   z = (z ^ z>>27) * 0x94D049BB133111EB; return z ^ z>>31).
float fwhtSign(uint64_t seed, int64_t column);

/// r = H D w for one n-block whose first weight is column `firstColumn`.
void rotateBlock(float *block, uint64_t seed, int64_t firstColumn,
                 int64_t n = kFwhtSize);
/// w = D H r: the exact inverse of rotateBlock.
void unrotateBlock(float *block, uint64_t seed, int64_t firstColumn,
                   int64_t n = kFwhtSize);

/// rotateBlock / unrotateBlock over a row of `cols` (a multiple of n).
void rotateRow(float *row, int64_t cols, uint64_t seed, int64_t n = kFwhtSize);
void unrotateRow(float *row, int64_t cols, uint64_t seed,
                 int64_t n = kFwhtSize);

} // namespace itq3::format

#endif // ITQ3_FORMAT_FWHT_H
