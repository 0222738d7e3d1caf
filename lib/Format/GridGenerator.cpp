//===- GridGenerator.cpp - Derives our 512-entry grid ---------------------===//
//
// The rotation makes the weights of a 256-block close to i.i.d. Gaussian, so
// the grid should hold the tuples a Gaussian source needs most. The builtin
// rule (CheckerboardNorm) takes the most probable ones directly: the Gaussian
// density falls with the norm, so a ball, and of the D4 sublattice because it
// packs better. The other rules are kept because the benchmark measures the
// builtin grid against them (lib/Format/GRID.md): the Z^4 ball, and the
// tuples most used when Gaussian sub-blocks are coded with the unrestricted
// 4096-tuple lattice (same scale search as the real encoder), once or
// recounted at the selected grid's own scales.
//
// Determinism: the builtin rule is integer arithmetic only. The usage rules
// use our own splitmix64 stream and Box-Muller (never
// std::normal_distribution, which differs between standard libraries),
// integer counts, exact rational comparisons and explicit tie-breaks.
//
//===----------------------------------------------------------------------===//

#include "itq3/Format/FWHT.h"
#include "itq3/Format/Grid.h"
#include "itq3/Format/Random.h"

#include "GridSnapper.h"
#include "SubBlockSearch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

namespace itq3::format {

namespace {

constexpr uint64_t kGeneratorSeed = 0x17a3'0001'0000'0003ull;
constexpr int kSampleSubBlocks = 1 << 16;
/// GridRule::IteratedUsage: recounts at the scales the current grid picks.
constexpr int kRefinements = 3;

/// All 4096 odd tuples; snapping is per-coordinate rounding to odd levels.
class LatticeSnapper {
public:
  LatticeSnapper() {
    for (int cell = 0; cell < kLatticeCells; ++cell)
      for (int j = 0, c = cell; j < 4; ++j, c /= kGridLevels)
        levels_[cell][j] = float(2 * (c % kGridLevels) + 1);
  }
  int snap(const float *y, const float *) const {
    return detail::latticeCell(y);
  }
  const float *levels(int cell) const { return levels_[cell].data(); }
  int zeroIndex() const { return 0; }

private:
  std::array<std::array<float, 4>, kLatticeCells> levels_;
};

/// How often each lattice tuple is the nearest one to a group of 4
/// magnitudes divided by the scale that `snapper`'s search picks for its
/// sub-block: the tuples the source needs at the scales the coder uses.
template <class Snapper>
std::array<uint32_t, kLatticeCells> gaussianUsageCounts(const Snapper &snapper) {
  std::array<uint32_t, kLatticeCells> counts{};
  RandomStream gauss(kGeneratorSeed);
  float x[detail::kSubBlock], w[detail::kSubBlock];
  std::fill(w, w + detail::kSubBlock, 1.0f);
  for (int s = 0; s < kSampleSubBlocks; ++s) {
    for (float &v : x)
      v = float(std::fabs(gauss.gaussian()));
    float scale = detail::fitSubBlock(x, w, snapper).scale;
    if (scale <= 0)
      continue;
    for (int k = 0; k < detail::kGroups; ++k) {
      float y[4];
      for (int j = 0; j < 4; ++j)
        y[j] = x[4 * k + j] / scale;
      ++counts[detail::latticeCell(y)];
    }
  }
  return counts;
}

int squaredNorm(const GridEntry &e) {
  int n = 0;
  for (uint8_t v : e)
    n += v * v;
  return n;
}

/// A permutation orbit: all orderings of one multiset of levels.
struct Orbit {
  int key = 0;         // cell of the sorted tuple
  int norm = 0;        // squared norm (same for all members)
  uint64_t count = 0;  // summed usage of the members
  std::vector<int> members; // cells, ascending
};

std::vector<Orbit> orbitsOfLattice(const std::array<uint32_t, kLatticeCells> &counts) {
  std::map<int, Orbit> byKey;
  for (int cell = 0; cell < kLatticeCells; ++cell) {
    GridEntry e = cellEntry(cell);
    GridEntry sorted = e;
    std::sort(sorted.begin(), sorted.end());
    Orbit &orbit = byKey[cellIndex(sorted)];
    orbit.key = cellIndex(sorted);
    orbit.norm = squaredNorm(e);
    orbit.count += counts[cell];
    orbit.members.push_back(cell);
  }
  std::vector<Orbit> orbits;
  for (auto &kv : byKey)
    orbits.push_back(std::move(kv.second));
  return orbits;
}

/// Takes whole orbits in rank order; the first orbit that no longer fits is
/// cut (members by ascending cell) to fill exactly kGridSize entries. Skipping
/// it for later, smaller orbits instead would pull in far-off, rarely useful
/// tuples such as (11,11,11,11).
std::vector<GridEntry> selectByOrbits(std::vector<Orbit> orbits,
                                      bool (*better)(const Orbit &, const Orbit &)) {
  std::sort(orbits.begin(), orbits.end(), better); // keys are unique: total order
  std::vector<int> cells;
  for (const Orbit &orbit : orbits) {
    size_t room = size_t(kGridSize) - cells.size();
    size_t take = std::min(room, orbit.members.size());
    cells.insert(cells.end(), orbit.members.begin(), orbit.members.begin() + take);
    if (cells.size() == size_t(kGridSize))
      break;
  }
  std::sort(cells.begin(), cells.end());
  std::vector<GridEntry> grid;
  for (int cell : cells)
    grid.push_back(cellEntry(cell));
  return grid;
}

bool moreUsed(const Orbit &a, const Orbit &b) {
  // Mean usage per member, compared exactly: a.count/|a| vs b.count/|b|.
  uint64_t lhs = a.count * b.members.size(), rhs = b.count * a.members.size();
  if (lhs != rhs)
    return lhs > rhs;
  if (a.norm != b.norm)
    return a.norm < b.norm;
  return a.key < b.key;
}

/// Sum of the level indices c_j of a cell (level 2 c_j + 1).
int levelSum(int cell) {
  int sum = 0;
  for (; cell; cell /= kGridLevels)
    sum += cell % kGridLevels;
  return sum;
}

bool smallerNorm(const Orbit &a, const Orbit &b) {
  return a.norm != b.norm ? a.norm < b.norm : a.key < b.key;
}

} // namespace

std::vector<GridEntry> generateGrid(GridRule rule) {
  if (rule == GridRule::SmallestNorm)
    return selectByOrbits(orbitsOfLattice({}), smallerNorm);
  if (rule == GridRule::CheckerboardNorm) {
    std::vector<Orbit> even;
    for (Orbit &o : orbitsOfLattice({}))
      if (levelSum(o.key) % 2 == 0)
        even.push_back(std::move(o));
    return selectByOrbits(std::move(even), smallerNorm);
  }
  std::vector<GridEntry> grid = selectByOrbits(
      orbitsOfLattice(gaussianUsageCounts(LatticeSnapper())), moreUsed);
  if (rule == GridRule::IteratedUsage)
    for (int it = 0; it < kRefinements; ++it) {
      GridTables tables(grid);
      grid = selectByOrbits(orbitsOfLattice(gaussianUsageCounts(
                                detail::GridSnapper(tables))),
                            moreUsed);
    }
  return grid;
}

namespace {
constexpr std::pair<GridRule, const char *> kRuleNames[] = {
    {GridRule::CheckerboardNorm, "d4"},
    {GridRule::SmallestNorm, "norm"},
    {GridRule::UsageFrequency, "usage"},
    {GridRule::IteratedUsage, "iterated"},
};
} // namespace

const char *gridRuleName(GridRule rule) {
  for (auto [r, name] : kRuleNames)
    if (r == rule)
      return name;
  return "?";
}

bool parseGridRule(const std::string &name, GridRule &rule) {
  for (auto [r, n] : kRuleNames)
    if (name == n) {
      rule = r;
      return true;
    }
  return false;
}

std::string formatGridTable(const std::vector<GridEntry> &grid) {
  std::string out =
      "// Generated by `itq3-bench grid` (scripts/gen-grid): generateGrid() with\n"
      "// kBuiltinGridRule, see lib/Format/GridGenerator.cpp and lib/Format/GRID.md.\n"
      "// Do not edit: FormatTests regenerates the grid and compares exactly.\n";
  char buf[32];
  for (size_t i = 0; i < grid.size(); ++i) {
    std::snprintf(buf, sizeof buf, "{%d,%d,%d,%d},", grid[i][0], grid[i][1],
                  grid[i][2], grid[i][3]);
    out += buf;
    out += (i % 8 == 7) ? "\n" : " ";
  }
  return out;
}

} // namespace itq3::format
