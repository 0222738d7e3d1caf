//===- FWHT.h - Orthonormal fast Walsh-Hadamard transform, 256 --*- C++ -*-===//
//
// H is the 256x256 Sylvester Hadamard matrix in natural order scaled by 1/16,
// so H is symmetric and orthonormal (H H = I): one routine is both the
// forward and the inverse transform. The butterfly network applies
// (u, v) -> (u + v, u - v) over strides 1, 2, 4, ..., 128, then scales once.
//
// Optional random signs: D = diag(s_c) with s_c = fwhtSign(seed, c) for the
// absolute column c of the row. Rotated formats store r = H D w per 256-block
// and decode w = D H r. Seed 0 means D = I.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_FWHT_H
#define ITQ3_FORMAT_FWHT_H

#include <cstdint>

namespace itq3::format {

constexpr int kFwhtSize = 256;

/// In-place orthonormal FWHT of 256 contiguous floats.
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

/// r = H D w for one block whose first weight is column `firstColumn`.
void rotateBlock(float *block, uint64_t seed, int64_t firstColumn);
/// w = D H r: the exact inverse of rotateBlock.
void unrotateBlock(float *block, uint64_t seed, int64_t firstColumn);

/// rotateBlock / unrotateBlock over a row of `cols` (a multiple of 256).
void rotateRow(float *row, int64_t cols, uint64_t seed);
void unrotateRow(float *row, int64_t cols, uint64_t seed);

} // namespace itq3::format

#endif // ITQ3_FORMAT_FWHT_H
