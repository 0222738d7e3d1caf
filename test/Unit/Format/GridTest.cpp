//===- GridTest.cpp - The grid: regeneration, validity, lookup tables -----===//

#include "itq3/Format/FWHT.h"
#include "itq3/Format/Grid.h"

#include "GridSnapper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

using namespace itq3::format;

namespace {

void expectValidGrid(const std::vector<GridEntry> &grid) {
  ASSERT_EQ(grid.size(), size_t(kGridSize));
  std::set<GridEntry> distinct(grid.begin(), grid.end());
  EXPECT_EQ(distinct.size(), grid.size());
  for (const GridEntry &e : grid)
    for (uint8_t v : e) {
      EXPECT_EQ(v % 2, 1);
      EXPECT_GE(v, 1);
      EXPECT_LE(v, 15);
    }
}

int distance2(const GridEntry &a, const GridEntry &b) {
  int d = 0;
  for (int j = 0; j < 4; ++j)
    d += (a[j] - b[j]) * (a[j] - b[j]);
  return d;
}

} // namespace

TEST(Grid, RegeneratesTheCheckedInTableExactlyAndFast) {
  auto start = std::chrono::steady_clock::now();
  std::vector<GridEntry> regenerated = generateGrid(kBuiltinGridRule);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(regenerated, builtinGrid())
      << "lib/Format/GridTable.inc is stale: run scripts/gen-grid";
  EXPECT_LT(seconds, 5.0);
}

TEST(Grid, EntriesAreDistinctOddLevels) {
  expectValidGrid(builtinGrid());
  for (GridRule rule : {GridRule::SmallestNorm, GridRule::UsageFrequency,
                        GridRule::IteratedUsage})
    expectValidGrid(generateGrid(rule));
}

TEST(Grid, IsSortedByCellAndHoldsAllOnes) {
  const std::vector<GridEntry> &grid = builtinGrid();
  for (size_t i = 1; i < grid.size(); ++i)
    EXPECT_LT(cellIndex(grid[i - 1]), cellIndex(grid[i]));
  // The small, frequent tuples must be there, including all-ones.
  EXPECT_TRUE(std::count(grid.begin(), grid.end(), GridEntry{1, 1, 1, 1}));
}

TEST(Grid, CellIndexRoundTrips) {
  for (int cell = 0; cell < kLatticeCells; ++cell)
    ASSERT_EQ(cellIndex(cellEntry(cell)), cell);
  EXPECT_EQ(cellIndex({3, 1, 1, 1}), 1);
  EXPECT_EQ(cellIndex({1, 1, 1, 3}), 512);
}

TEST(Grid, NeighbourTablesHoldTheNearestEntries) {
  const GridTables &t = GridTables::builtin();
  const std::vector<GridEntry> &grid = t.grid();
  for (int cell = 0; cell < kLatticeCells; cell += 7) {
    GridEntry centre = cellEntry(cell);
    int index = t.indexOfCell(cell);
    bool inGrid = std::count(grid.begin(), grid.end(), centre) > 0;
    EXPECT_EQ(index >= 0, inGrid);
    if (inGrid)
      EXPECT_EQ(grid[size_t(index)], centre);
    // No grid entry outside the list is closer than the last one in it.
    const uint16_t *nb = t.neighbours(cell);
    int worst = distance2(centre, grid[nb[GridTables::kNeighbours - 1]]);
    int nearest = distance2(centre, grid[nb[0]]);
    for (const GridEntry &e : grid)
      EXPECT_GE(distance2(centre, e), nearest);
    std::set<int> listed(nb, nb + GridTables::kNeighbours);
    for (size_t i = 0; i < grid.size(); ++i)
      if (!listed.count(int(i)))
        EXPECT_GE(distance2(centre, grid[i]), worst);
  }
}

TEST(Grid, SnapperFindsTheNearestEntryLikeBruteForce) {
  // Points in level units 0..16, denser near 0, random positive weights: the
  // neighbour-table snap must match an exhaustive search everywhere inside
  // the ball; beyond its edge (measured: 0.3% of these points) it may
  // return a slightly worse entry, which the scale search then avoids.
  const GridTables &t = GridTables::builtin();
  detail::GridSnapper snapper(t);
  uint64_t state = 3;
  auto uniform = [&] { return float(splitmix64(state++) >> 40) * 0x1p-24f; };
  int exact = 0, n = 20000;
  for (int i = 0; i < n; ++i) {
    float y[4], w[4];
    for (int j = 0; j < 4; ++j) {
      y[j] = 16.0f * uniform() * uniform(); // denser near 0, like |N(0,1)|
      w[j] = 0.25f + uniform();
    }
    auto cost = [&](int index) {
      float c = 0;
      for (int j = 0; j < 4; ++j)
        c += w[j] * (y[j] - t.levels(index)[j]) * (y[j] - t.levels(index)[j]);
      return c;
    };
    float best = cost(0);
    for (int k = 1; k < kGridSize; ++k)
      best = std::min(best, cost(k));
    float got = cost(snapper.snap(y, w));
    exact += got <= best;
    // Inside the ball (largest entry norm^2 is 228) the snap is exact.
    float norm2 = y[0] * y[0] + y[1] * y[1] + y[2] * y[2] + y[3] * y[3];
    if (norm2 <= 200)
      ASSERT_LE(got, best) << i;
  }
  EXPECT_GE(exact, n * 995 / 1000);
}

TEST(Grid, PackedEntriesAreLittleEndianBytes) {
  EXPECT_EQ(packGridEntry({1, 3, 5, 7}), 0x07050301u);
  for (const GridEntry &e : builtinGrid()) {
    uint32_t word = packGridEntry(e);
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ((word >> (8 * j)) & 0xff, e[size_t(j)]);
  }
}

TEST(Grid, SampledRulesAreDeterministic) {
  // The usage rules draw Gaussian samples from our own splitmix64 stream:
  // two runs must agree exactly (they are only measured, not shipped).
  EXPECT_EQ(generateGrid(GridRule::UsageFrequency),
            generateGrid(GridRule::UsageFrequency));
  EXPECT_NE(generateGrid(GridRule::UsageFrequency), builtinGrid());
}
