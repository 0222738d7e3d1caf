//===- Grid.h - The 512-entry grid of odd 4-tuples --------------*- C++ -*-===//
//
// The iq3/itq3_s container codes each group of 4 weight magnitudes as an
// index into a grid of 512 tuples whose entries are odd levels 1..15. The
// grid is our own (never copied): generateGrid() derives it, the result is
// checked in as lib/Format/GridTable.inc (printed by `itq3-bench grid`,
// scripts/gen-grid), and a unit test regenerates it and compares exactly.
//
// Builtin rule (GridRule::CheckerboardNorm; lib/Format/GRID.md says why and
// shows the measurements against the other rules):
//   1. candidates: the odd tuples (2c_0+1, ..., 2c_3+1) with c_0+...+c_3
//      even: a D4 (checkerboard) lattice, the densest lattice in 4-D, so a
//      lower granular error than the plain odd lattice at the same count;
//   2. rank them by squared norm: after the FWHT the magnitudes are close to
//      i.i.d. half-Gaussian, whose density at s*g falls with |g|^2 alone, so
//      the most probable tuples form a ball;
//   3. permutation orbits (the norm is symmetric) are taken whole in rank
//      order, ties broken by the sorted tuple's cell index; the first orbit
//      that no longer fits is cut, members in ascending cell order;
//   4. the 512 tuples are sorted by cell index (the grid index order).
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
  /// The builtin grid: the 512 smallest-norm tuples among the odd tuples
  /// whose level indices c_j (level 2 c_j + 1) have an even sum, i.e. a ball
  /// of a D4 (checkerboard) lattice.
  CheckerboardNorm,
  /// The 512 smallest-norm odd tuples (a ball of the plain Z^4 lattice).
  SmallestNorm,
  /// The tuples used most when Gaussian sub-blocks are coded with the
  /// unrestricted 4096-tuple lattice (one pass, sampled).
  UsageFrequency,
  /// UsageFrequency recounted three times at the scales the selected grid's
  /// own search picks (it converges to SmallestNorm).
  IteratedUsage,
};

/// The rule GridTable.inc was generated with.
constexpr GridRule kBuiltinGridRule = GridRule::CheckerboardNorm;

/// Deterministic (fixed PRNG, integer counts, explicit tie-breaks) and fast.
std::vector<GridEntry> generateGrid(GridRule rule = kBuiltinGridRule);

/// Lower-case name of a rule ("d4", "norm", "usage", "iterated"), and back.
const char *gridRuleName(GridRule rule);
bool parseGridRule(const std::string &name, GridRule &rule);

/// The C++ initializer text of GridTable.inc for `grid`.
std::string formatGridTable(const std::vector<GridEntry> &grid);

/// Cell of the 4096-lattice: level (2 c_j + 1) in coordinate j, index
/// c_0 + 8 c_1 + 64 c_2 + 512 c_3.
int cellIndex(const GridEntry &entry);
/// The tuple at the centre of a lattice cell (inverse of cellIndex).
GridEntry cellEntry(int cell);

/// An entry as one little-endian 32-bit word, level j in byte j: the form a
/// kernel wants in constant memory (one load gives the 4 int8 lanes of a
/// dp4a operand once the signs are applied).
inline uint32_t packGridEntry(const GridEntry &entry) {
  return uint32_t(entry[0]) | uint32_t(entry[1]) << 8 |
         uint32_t(entry[2]) << 16 | uint32_t(entry[3]) << 24;
}

/// Lookup structures of one grid used by the encoder: for each lattice cell,
/// its grid index (or -1) and its kNeighbours nearest grid entries.
class GridTables {
public:
  static constexpr int kNeighbours = 8;

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
