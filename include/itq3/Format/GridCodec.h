//===- GridCodec.h - The grid container (iq3, itq3_s, itq3_s64) -*- C++ -*-===//
//
// One block = 256 weights (itq3_s: the FWHT-256-rotated values r = H D w;
// iq3: the raw weights) in 110 bytes, 3.4375 bits per weight:
//
//   bytes   0..1    d: fp16, little-endian, super-block scale (d >= 0)
//   bytes   2..65   qs[64]: low 8 bits of grid index g (g covers weights
//                   4g..4g+3, coordinate j = weight 4g+j)
//   bytes  66..73   qh[8]: bit (g % 8) of qh[g / 8] = bit 8 of index g
//   bytes  74..105  signs[32]: bit (i % 8) of signs[i / 8] set = weight i < 0
//   bytes 106..109  scales: sub-block s (weights 32s..32s+31) has a 4-bit l_s,
//                   low nibble of byte 106 + s/2 for even s, high for odd s
//
// itq3_s64 is the same container for 64 weights (the FWHT-64-rotated values)
// in 29 bytes, 3.625 bits per weight: d at 0..1, qs[16] at 2..17, qh[2] at
// 18..19, signs[8] at 20..27, the two 4-bit l at 28 (GridLayout).
//
//   value_i = d * (2 l_{i/32} + 1) * grid[idx_{i/4}][i % 4] * (sign_i ? -1 : 1)
//
// with grid = builtinGrid() (Grid.h). The effective scale of a sub-block is
// an odd multiple 1..31 of d.
//
// Encoder (per DESIGN.md section 2): per sub-block of 32 magnitudes (signs
// kept apart), a search over trial scales amax / t, every 4-tuple snapped to
// the nearest grid entry through the neighbour table, least-squares refit of
// the scale; then d = max sub-scale / 31 rounded to fp16, the sub-block with
// the largest scale gets l = 15 and every other sub-block the best of the
// three l nearest to its fitted scale, with the tuples re-snapped at the
// final quantized scale (so the stored indices are optimal for what decodes).
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_GRIDCODEC_H
#define ITQ3_FORMAT_GRIDCODEC_H

#include "itq3/Format/Codec.h"
#include "itq3/Format/Grid.h"

#include <cstdint>
#include <memory>

namespace itq3::format {

constexpr int kGridBlockWeights = 256;
constexpr int kGridBlockBytes = 110;

/// Where the fields of a container of `weights` (256 or 64) weights lie.
struct GridLayout {
  int weights = kGridBlockWeights;
  constexpr int subBlocks() const { return weights / 32; }
  constexpr int qs() const { return 2; }
  constexpr int qh() const { return qs() + weights / 4; }
  constexpr int signs() const { return qh() + weights / 32; }
  constexpr int scales() const { return signs() + weights / 8; }
  constexpr int bytes() const { return scales() + weights / 64; }
};
static_assert(GridLayout{}.bytes() == kGridBlockBytes);
static_assert(GridLayout{64}.bytes() == 29);

/// What the encoder minimizes per weight: w_i (x_i - x^_i)^2 with
/// w_i = importance_i (1 without importance) times 1 (Flat) or x_i^2 (Square).
/// Flat is the default: it gives the lower plain error (bench/results).
enum class GridWeighting { Flat, Square };

/// Encodes layout.weights values. `importance` (as many entries, >= 0) may
/// be null.
void encodeGridBlock(const float *values, const float *importance,
                     const GridTables &tables, GridWeighting weighting,
                     uint8_t *dst, GridLayout layout = {});
/// Decodes one block (no rotation undone here).
void decodeGridBlock(const uint8_t *src, const GridTables &tables, float *dst,
                     GridLayout layout = {});

/// Parts of a block, for tests and code generators.
float gridBlockScale(const uint8_t *block);
int gridBlockIndex(const uint8_t *block, int group,
                   GridLayout layout = {}); // 0..511
int gridBlockSubScale(const uint8_t *block, int subBlock,
                      GridLayout layout = {}); // l, 0..15
bool gridBlockSign(const uint8_t *block, int weight, GridLayout layout = {});

struct GridCodecConfig {
  /// Null: GridTables::builtin(). Other grids are for measurements only:
  /// decoding must use the tables the data was encoded with.
  std::shared_ptr<const GridTables> tables;
  GridWeighting weighting = GridWeighting::Flat;
};

/// iq3, itq3_s or itq3_s64 with a non-default configuration (kind must be
/// one of them).
std::unique_ptr<Codec> createGridCodec(FormatKind kind, CodecOptions options,
                                       GridCodecConfig config);

} // namespace itq3::format

#endif // ITQ3_FORMAT_GRIDCODEC_H
