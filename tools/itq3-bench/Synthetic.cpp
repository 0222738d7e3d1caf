//===- Synthetic.cpp - Reproducible synthetic weight matrices -------------===//

#include "Synthetic.h"

#include "itq3/Format/Random.h"

#include <cmath>

namespace itq3::bench {

namespace {

constexpr double kSigma = 0.02;

/// t_4 = Z / sqrt(chi2_4 / 4), chi2_4 a sum of four squared normals.
double studentT4(format::RandomStream &n) {
  double z = n.gaussian(), chi2 = 0;
  for (int k = 0; k < 4; ++k) {
    double v = n.gaussian();
    chi2 += v * v;
  }
  return z / std::sqrt(chi2 / 4.0);
}

} // namespace

std::string matrixKindName(MatrixKind kind) {
  switch (kind) {
  case MatrixKind::Gaussian: return "gaussian";
  case MatrixKind::StudentT4: return "student-t4";
  case MatrixKind::OutlierColumns: return "outlier-cols";
  }
  return "?";
}

std::vector<float> makeMatrix(MatrixKind kind, int64_t rows, int64_t cols,
                              uint64_t seed) {
  format::RandomStream n(seed);
  std::vector<float> w(size_t(rows * cols));
  for (float &v : w)
    v = float(kSigma * (kind == MatrixKind::StudentT4 ? studentT4(n) : n.gaussian()));
  if (kind == MatrixKind::OutlierColumns) {
    std::vector<float> colScale(size_t(cols), 1.0f);
    for (int64_t c = 0; c < cols; ++c)
      if (n.uniform() <= 0.01)
        colScale[size_t(c)] = 20.0f;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        w[size_t(r * cols + c)] *= colScale[size_t(c)];
  }
  return w;
}

} // namespace itq3::bench
