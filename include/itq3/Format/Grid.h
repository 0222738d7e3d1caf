//===- Grid.h - The 512-entry grid of odd 4-tuples --------------*- C++ -*-===//
//
// The iq3/itq3_s container codes each group of 4 weight magnitudes as an
// index into a grid of 512 tuples whose entries are odd levels 1..15. The
// grid is our own (never copied): generateGrid() derives it from Gaussian
// samples, the result is checked in as lib/Format/GridTable.inc (printed by
// `itq3-bench grid`), and a unit test regenerates it and compares exactly.
//
// Selection rule (GridRule::UsageFrequency, the default), see docs in
// lib/Format/Grid.cpp and docs/grid.md:
//   1. draw 2^16 sub-blocks of 32 i.i.d. N(0,1) values (splitmix64 +
//      our own Box-Muller, fixed seed);
//   2. code each sub-block with the *unrestricted* lattice of all 8^4 = 4096
//      odd tuples, using the same trial-scale search and least-squares refit
//      as the real encoder, and count how often each tuple is chosen;
//   3. the Gaussian law is exchangeable, so rank permutation orbits (the
//      sorted tuple) by mean count per member, ties by smaller norm then
//      lexicographic order, and take whole orbits while they fit into 512,
//      skipping ones that no longer fit; fill any remainder member by member;
//   4. sort the 512 tuples by cell index (coordinate 0 slowest... see
//      cellIndex) so the table is canonical.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_GRID_H
#define ITQ3_FORMAT_GRID_H

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace itq3::format {

constexpr int kGridSize = 512;
/// Odd levels per coordinate (1, 3, ..., 15) and lattice cells (8^4).
constexpr int kGridLevels = 8;
constexpr int kLatticeCells = 4096;
constexpr int kGridMaxLevel = 15;

/// Four odd magnitudes in 1..15.
using GridEntry = std::array<uint8_t, 4>;

/// The checked-in grid (GridTable.inc): what iq3/itq3_s decode with.
const std::vector<GridEntry> &builtinGrid();

enum class GridRule {
  UsageFrequency, // default: most used tuples of the unrestricted lattice
  SmallestNorm,   // alternative: the 512 tuples of smallest Euclidean norm
};

/// Deterministic (fixed PRNG, integer counts, explicit tie-breaks) and fast.
std::vector<GridEntry> generateGrid(GridRule rule = GridRule::UsageFrequency);

/// The C++ initializer text of GridTable.inc for `grid`.
std::string formatGridTable(const std::vector<GridEntry> &grid);

/// Cell of the 4096-lattice: level (2 c_j + 1) in coordinate j, index
/// c_0 + 8 c_1 + 64 c_2 + 512 c_3.
int cellIndex(const GridEntry &entry);
/// The tuple at the centre of a lattice cell (inverse of cellIndex).
GridEntry cellEntry(int cell);

/// Lookup structures of one grid used by the encoder: for each lattice cell,
/// its grid index (or -1) and its kNeighbours nearest grid entries.
class GridTables {
public:
  static constexpr int kNeighbours = 16;

  explicit GridTables(std::vector<GridEntry> grid);
  /// Tables of builtinGrid(), built once.
  static const GridTables &builtin();

  const std::vector<GridEntry> &grid() const { return grid_; }
  const float *levels(int index) const { return levels_[index].data(); }
  int indexOfCell(int cell) const { return cellToIndex_[cell]; }
  const uint16_t *neighbours(int cell) const {
    return &neighbours_[size_t(cell) * kNeighbours];
  }
  /// Index of the entry of smallest norm (used for all-zero groups).
  int smallestIndex() const { return smallest_; }

private:
  std::vector<GridEntry> grid_;
  std::vector<std::array<float, 4>> levels_;
  std::vector<int16_t> cellToIndex_;
  std::vector<uint16_t> neighbours_;
  int smallest_ = 0;
};

} // namespace itq3::format

#endif // ITQ3_FORMAT_GRID_H
