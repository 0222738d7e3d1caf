//===- Grid.cpp - The checked-in grid and its encoder lookup tables -------===//

#include "itq3/Format/Grid.h"

#include <algorithm>
#include <numeric>

namespace itq3::format {

namespace {
// Produced by `itq3-bench grid` (scripts/gen-grid); FormatTests checks that
// generateGrid() still reproduces it exactly.
constexpr uint8_t kBuiltinGrid[kGridSize][4] = {
#include "GridTable.inc"
};
} // namespace

const std::vector<GridEntry> &builtinGrid() {
  static const std::vector<GridEntry> grid = [] {
    std::vector<GridEntry> g(kGridSize);
    for (int i = 0; i < kGridSize; ++i)
      std::copy(kBuiltinGrid[i], kBuiltinGrid[i] + 4, g[i].begin());
    return g;
  }();
  return grid;
}

int cellIndex(const GridEntry &entry) {
  int cell = 0;
  for (int j = 3; j >= 0; --j)
    cell = cell * kGridLevels + (entry[j] - 1) / 2;
  return cell;
}

static int squaredDistance(const GridEntry &a, const GridEntry &b) {
  int d = 0;
  for (int j = 0; j < 4; ++j)
    d += (int(a[j]) - b[j]) * (int(a[j]) - b[j]);
  return d;
}

GridEntry cellEntry(int cell) {
  GridEntry e;
  for (int j = 0; j < 4; ++j, cell /= kGridLevels)
    e[j] = uint8_t(2 * (cell % kGridLevels) + 1);
  return e;
}

GridTables::GridTables(std::vector<GridEntry> grid)
    : grid_(std::move(grid)), levels_(grid_.size()),
      cellToIndex_(kLatticeCells, -1),
      neighbours_(size_t(kLatticeCells) * kNeighbours) {
  for (size_t i = 0; i < grid_.size(); ++i) {
    for (int j = 0; j < 4; ++j)
      levels_[i][j] = float(grid_[i][j]);
    cellToIndex_[cellIndex(grid_[i])] = int16_t(i);
  }
  std::vector<int> order(grid_.size());
  for (int cell = 0; cell < kLatticeCells; ++cell) {
    GridEntry centre = cellEntry(cell);
    std::iota(order.begin(), order.end(), 0);
    // Ties by index keep the table deterministic.
    std::partial_sort(order.begin(), order.begin() + kNeighbours, order.end(),
                      [&](int a, int b) {
                        int da = squaredDistance(centre, grid_[a]);
                        int db = squaredDistance(centre, grid_[b]);
                        return da != db ? da < db : a < b;
                      });
    for (int k = 0; k < kNeighbours; ++k)
      neighbours_[size_t(cell) * kNeighbours + k] = uint16_t(order[k]);
    if (cell == 0) // nearest to (1,1,1,1): the smallest entry
      smallest_ = order[0];
  }
}

const GridTables &GridTables::builtin() {
  static const GridTables tables(builtinGrid());
  return tables;
}

} // namespace itq3::format
