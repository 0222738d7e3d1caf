//===- TwinQuant.cpp - Low-rank plus 4-bit residual weights ---------------===//
//
// Encode order (TwinQuant.h has the layout):
//   1. rank-r truncated SVD of W diag(d) (d = sqrt(importance), else 1),
//      split as U = left sqrt(S), V = sqrt(S)^-1 right diag(d)^-1, so that
//      column j of U and row j of V have the same norm sqrt(sigma_j);
//   2. the transform T = Q diag(s) folded in: U T, T^-1 V (Q learned by
//      TwinTransform.h's Cayley steps, or the Hadamard, or I);
//   3. both factors coded with the q8 or q4 block codec (U by columns);
//   4. R = W - U^ V^ from the decoded factors, coded with q4 (rows rotated
//      by H D first for the rotated residual).
// The factors and the residual reuse the block codecs of Codec.h, so their
// bytes, range checks and rounding are those of q8/q4 exactly.
//
//===----------------------------------------------------------------------===//

#include "itq3/Format/TwinQuant.h"

#include "TwinTransform.h"

#include "itq3/Format/Codec.h"
#include "itq3/Format/DenseMath.h"
#include "itq3/Format/FWHT.h"
#include "itq3/Format/LowRank.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace itq3::format {

namespace {

constexpr int64_t kBlock = 32;

FormatKind factorKind(const TwinQuantParams &p) {
  return p.factorBits == 4 ? FormatKind::Q4 : FormatKind::Q8;
}

bool isPowerOfTwo(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

Status shapeError(int64_t rows, int64_t cols, const TwinQuantParams &p,
                  const std::string &why) {
  std::ostringstream os;
  os << describeTwinQuant(p) << " of a " << rows << " x " << cols
     << " weight: " << why;
  return Status::error(os.str());
}

/// dst[rows x cols] += u[rows x rank] v[rank x cols], rows over threads.
void addProduct(const std::vector<float> &u, const std::vector<float> &v,
                int64_t rows, int64_t cols, int64_t rank, float *dst,
                unsigned threads) {
  parallelRanges(rows, threads, [&](int64_t r0, int64_t r1) {
    gemmAccumulate(r1 - r0, cols, rank, 1.0f, u.data() + r0 * rank, rank,
                   v.data(), cols, dst + r0 * cols, cols);
  });
}

Status checkFinite(const float *w, int64_t rows, int64_t cols,
                   const float *importance) {
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(w[i])) {
      std::ostringstream os;
      os << "twinquant: non-finite weight at row " << i / cols << ", column "
         << i % cols;
      return Status::error(os.str());
    }
  for (int64_t c = 0; importance && c < cols; ++c)
    if (!std::isfinite(importance[c]) || importance[c] < 0) {
      std::ostringstream os;
      os << "twinquant: importance of column " << c << " is " << importance[c]
         << " (it must be finite and non-negative)";
      return Status::error(os.str());
    }
  return Status::success();
}

/// d_c = sqrt(importance_c), floored at 1e-3 of the mean d so that a dead
/// column (importance 0) does not divide V by zero.
std::vector<float> columnScales(const float *importance, int64_t cols) {
  std::vector<float> d(size_t(cols), 1.0f);
  if (!importance)
    return d;
  double mean = 0;
  for (int64_t c = 0; c < cols; ++c)
    mean += std::sqrt(double(importance[c])) / double(cols);
  if (!(mean > 0))
    return d; // no information: unweighted
  for (int64_t c = 0; c < cols; ++c)
    d[size_t(c)] = float(std::max(std::sqrt(double(importance[c])), 1e-3 * mean));
  return d;
}

/// The unquantized factors U [rows x r], V [r x cols] of step 1.
struct Factors {
  std::vector<float> u, v;
};

Status lowRankFactors(const float *w, int64_t rows, int64_t cols,
                      const TwinQuantParams &p, const TwinEncodeOptions &o,
                      Factors &f) {
  std::vector<float> d = columnScales(o.importance, cols);
  std::vector<float> scaled(w, w + rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      scaled[size_t(r * cols + c)] *= d[size_t(c)];
  LowRankOptions lo;
  lo.powerIterations = p.powerIterations;
  lo.seed = p.svdSeed;
  lo.threads = o.threads;
  LowRankFactors svd;
  if (Status s = truncatedSvd(scaled.data(), rows, cols, p.rank, lo, svd); !s)
    return s;
  int64_t r = p.rank;
  f.u = std::move(svd.left);
  f.v = std::move(svd.right);
  for (int64_t j = 0; j < r; ++j) {
    double root = std::sqrt(svd.sigma[size_t(j)]);
    double inv = root > 0 ? 1.0 / root : 0.0;
    for (int64_t i = 0; i < rows; ++i)
      f.u[size_t(i * r + j)] = float(f.u[size_t(i * r + j)] * root);
    for (int64_t c = 0; c < cols; ++c)
      f.v[size_t(j * cols + c)] =
          float(f.v[size_t(j * cols + c)] * inv / d[size_t(c)]);
  }
  return Status::success();
}

/// The normalized Sylvester Hadamard Q[i][j] = (-1)^popcount(i & j) / sqrt(r).
std::vector<double> hadamardMatrix(int64_t r) {
  std::vector<double> q(size_t(r * r));
  double norm = 1.0 / std::sqrt(double(r));
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < r; ++j)
      q[size_t(i * r + j)] = (__builtin_popcountll(uint64_t(i & j)) & 1) ? -norm : norm;
  return q;
}

/// Folds the orthogonal part of the transform into the factors.
void applyTransform(Factors &f, int64_t rows, int64_t cols,
                    const TwinQuantParams &p) {
  int64_t r = p.rank;
  if (p.transform == TwinTransform::Hadamard)
    detail::rotateFactors(f.u, f.v, rows, cols, r, hadamardMatrix(r));
  if (p.transform == TwinTransform::Learned) {
    auto codec = createCodec(factorKind(p));
    detail::FactorRotation q =
        detail::learnFactorRotation(f.u, f.v, rows, cols, r, *codec);
    detail::rotateFactors(f.u, f.v, rows, cols, r, q.q);
  }
}

/// Scales column j of U by s_j and row j of V by 1/s_j so that both hold
/// the same largest magnitude: the product is unchanged and neither factor
/// carries a channel whose range dwarfs its partner's.
void balanceRanges(Factors &f, int64_t rows, int64_t cols, int64_t r) {
  for (int64_t j = 0; j < r; ++j) {
    float mu = 0, mv = 0;
    for (int64_t i = 0; i < rows; ++i)
      mu = std::max(mu, std::fabs(f.u[size_t(i * r + j)]));
    for (int64_t c = 0; c < cols; ++c)
      mv = std::max(mv, std::fabs(f.v[size_t(j * cols + c)]));
    if (!(mu > 0) || !(mv > 0))
      continue;
    float s = std::sqrt(mv / mu);
    for (int64_t i = 0; i < rows; ++i)
      f.u[size_t(i * r + j)] *= s;
    for (int64_t c = 0; c < cols; ++c)
      f.v[size_t(j * cols + c)] /= s;
  }
}

/// Codes the factors into `dst`: U^T (column j of U as row j), then V.
Status codeFactors(const Factors &f, int64_t rows, int64_t cols,
                   const TwinQuantParams &p, const TwinQuantLayout &layout,
                   unsigned threads, uint8_t *dst) {
  auto codec = createCodec(factorKind(p));
  int64_t r = p.rank;
  EncodeOptions eo;
  eo.threads = threads;
  std::vector<float> ut = transposed(f.u.data(), rows, r);
  if (Status s = codec->encodeRows(ut.data(), r, rows, dst, eo); !s)
    return Status::error("twinquant factor U: " + s.message());
  if (Status s = codec->encodeRows(f.v.data(), r, cols, dst + layout.uBytes, eo); !s)
    return Status::error("twinquant factor V: " + s.message());
  return Status::success();
}

Status decodeFactors(const uint8_t *src, int64_t rows, int64_t cols,
                     const TwinQuantParams &p, const TwinQuantLayout &layout,
                     unsigned threads, std::vector<float> &u,
                     std::vector<float> &v) {
  auto codec = createCodec(factorKind(p));
  int64_t r = p.rank;
  std::vector<float> ut(size_t(r * rows));
  if (Status s = codec->decodeRows(src, r, rows, ut.data(), threads); !s)
    return s;
  u = transposed(ut.data(), r, rows);
  v.assign(size_t(r * cols), 0.0f);
  return codec->decodeRows(src + layout.uBytes, r, cols, v.data(), threads);
}

/// Codes the residual (already rotated for the rotated residual) with q4:
/// rounded to nearest, or calibrated against H (rotated alike).
Status codeResidual(const std::vector<float> &residual, int64_t rows,
                    int64_t cols, const TwinQuantParams &p,
                    const TwinEncodeOptions &o, uint8_t *dst) {
  auto q4 = createCodec(FormatKind::Q4);
  if (!o.secondMoment) {
    EncodeOptions eo;
    eo.threads = o.threads;
    return q4->encodeRows(residual.data(), rows, cols, dst, eo);
  }
  std::vector<float> h(o.secondMoment, o.secondMoment + cols * cols);
  if (p.rotateResidual)
    rotateSecondMoment(h.data(), cols, p.signSeed, o.threads);
  CalibratedOptions co = o.calibration;
  co.threads = o.threads;
  return encodeRowsCalibrated(*q4, residual.data(), rows, cols, h.data(), co,
                              dst);
}

} // namespace

std::string describeTwinQuant(const TwinQuantParams &p) {
  std::ostringstream os;
  os << "twinquant r=" << p.rank << " f" << p.factorBits
     << (p.rotateResidual ? " q4r" : " q4")
     << (p.transform == TwinTransform::Hadamard  ? " hadamard"
         : p.transform == TwinTransform::Learned ? " learned"
                                                  : "")
     << (p.balance ? "" : " unbalanced");
  return os.str();
}

Status twinQuantLayout(int64_t rows, int64_t cols, const TwinQuantParams &p,
                       TwinQuantLayout &layout) {
  if (p.factorBits != 4 && p.factorBits != 8)
    return shapeError(rows, cols, p, "factor bits must be 4 or 8");
  if (rows <= 0 || cols <= 0 || rows % kBlock || cols % kBlock)
    return shapeError(rows, cols, p, "N and K must be positive multiples of 32");
  if (p.rotateResidual && cols % kFwhtSize)
    return shapeError(rows, cols, p,
                      "the rotated residual needs K a multiple of 256");
  if (p.rank < 1 || p.rank > std::min(rows, cols))
    return shapeError(rows, cols, p, "the rank must be in [1, min(N, K)]");
  if (p.transform == TwinTransform::Hadamard && !isPowerOfTwo(p.rank))
    return shapeError(rows, cols, p, "the Hadamard transform needs a "
                                     "power-of-two rank");
  int64_t factorBlockBytes = createCodec(factorKind(p))->bytesPerBlock();
  layout.residualBytes = createCodec(FormatKind::Q4)->matrixBytes(rows, cols);
  layout.uBytes = p.rank * (rows / kBlock) * factorBlockBytes;
  layout.vBytes = p.rank * (cols / kBlock) * factorBlockBytes;
  return Status::success();
}

int64_t twinRankForBudget(int64_t rows, int64_t cols, int factorBits,
                          double bitsPerWeight) {
  double bitsPerRank = 8.0 * double(rows + cols) *
                       (factorBits == 4 ? 18.0 : 34.0) / double(kBlock);
  auto rank = int64_t(std::floor(bitsPerWeight * double(rows * cols) / bitsPerRank));
  return std::clamp<int64_t>(rank, 0, std::min(rows, cols));
}

Status encodeTwinQuant(const float *w, int64_t rows, int64_t cols,
                       const TwinQuantParams &p, const TwinEncodeOptions &o,
                       std::vector<uint8_t> &packed) {
  TwinQuantLayout layout;
  if (Status s = twinQuantLayout(rows, cols, p, layout); !s)
    return s;
  if (Status s = checkFinite(w, rows, cols, o.importance); !s)
    return s;
  Factors f;
  if (Status s = lowRankFactors(w, rows, cols, p, o, f); !s)
    return s;
  applyTransform(f, rows, cols, p);
  if (p.balance)
    balanceRanges(f, rows, cols, p.rank);
  packed.assign(size_t(layout.totalBytes()), 0);
  uint8_t *factorBytes = packed.data() + layout.residualBytes;
  if (Status s = codeFactors(f, rows, cols, p, layout, o.threads, factorBytes);
      !s)
    return s;
  Factors decoded;
  if (Status s = decodeFactors(factorBytes, rows, cols, p, layout, o.threads,
                               decoded.u, decoded.v);
      !s)
    return s;
  // The residual of the decoded factors: it absorbs their coding error.
  std::vector<float> residual(size_t(rows * cols), 0.0f);
  addProduct(decoded.u, decoded.v, rows, cols, p.rank, residual.data(), o.threads);
  for (int64_t i = 0; i < rows * cols; ++i)
    residual[size_t(i)] = w[i] - residual[size_t(i)];
  if (p.rotateResidual)
    for (int64_t r = 0; r < rows; ++r)
      rotateRow(residual.data() + r * cols, cols, p.signSeed);
  if (Status s = codeResidual(residual, rows, cols, p, o, packed.data()); !s)
    return Status::error("twinquant residual: " + s.message());
  return Status::success();
}

Status decodeTwinComponents(const uint8_t *packed, int64_t rows, int64_t cols,
                            const TwinQuantParams &p, TwinComponents &out,
                            unsigned threads) {
  TwinQuantLayout layout;
  if (Status s = twinQuantLayout(rows, cols, p, layout); !s)
    return s;
  out.residual.assign(size_t(rows * cols), 0.0f);
  if (Status s = createCodec(FormatKind::Q4)->decodeRows(
          packed, rows, cols, out.residual.data(), threads);
      !s)
    return s;
  return decodeFactors(packed + layout.residualBytes, rows, cols, p, layout,
                       threads, out.u, out.v);
}

Status decodeTwinQuant(const uint8_t *packed, int64_t rows, int64_t cols,
                       const TwinQuantParams &p, float *dst, unsigned threads) {
  TwinComponents c;
  if (Status s = decodeTwinComponents(packed, rows, cols, p, c, threads); !s)
    return s;
  if (p.rotateResidual)
    for (int64_t r = 0; r < rows; ++r)
      unrotateRow(c.residual.data() + r * cols, cols, p.signSeed);
  std::copy(c.residual.begin(), c.residual.end(), dst);
  addProduct(c.u, c.v, rows, cols, p.rank, dst, threads);
  return Status::success();
}

} // namespace itq3::format
