//===- GridSnapper.h - Nearest grid entry through the neighbour table -----===//
#ifndef ITQ3_LIB_FORMAT_GRIDSNAPPER_H
#define ITQ3_LIB_FORMAT_GRIDSNAPPER_H

#include "itq3/Format/Grid.h"

#include "SubBlockSearch.h"

namespace itq3::format::detail {

/// Nearest grid entry (weighted) through the neighbour table: the lattice
/// cell itself when it is in the grid (then it is the exact nearest entry),
/// else the best of the cell's precomputed neighbours. (An exact D4 parity
/// step before the table scan was measured slower: the scan is 16 short
/// vectorizable distance sums.)
class GridSnapper {
public:
  explicit GridSnapper(const GridTables &tables) : t_(tables) {}
  int snap(const float *y, const float *w) const {
    int cell = detail::latticeCell(y);
    int direct = t_.indexOfCell(cell);
    if (direct >= 0)
      return direct;
    const uint16_t *candidates = t_.neighbours(cell);
    int best = candidates[0];
    float bestCost = cost(y, w, best);
    for (int k = 1; k < GridTables::kNeighbours; ++k) {
      float c = cost(y, w, candidates[k]);
      if (c < bestCost) {
        bestCost = c;
        best = candidates[k];
      }
    }
    return best;
  }
  const float *levels(int index) const { return t_.levels(index); }
  int zeroIndex() const { return t_.smallestIndex(); }

private:
  float cost(const float *y, const float *w, int index) const {
    const float *g = t_.levels(index);
    float c = 0;
    for (int j = 0; j < 4; ++j)
      c += w[j] * (y[j] - g[j]) * (y[j] - g[j]);
    return c;
  }
  const GridTables &t_;
};

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_GRIDSNAPPER_H
