//===- Calibrated.cpp - Error-feedback (GPTQ/LDLQ) weight encoding --------===//
//
// The steps, for one matrix (Calibrated.h has the math):
//  1. H in the stored domain (R H R^T for rotated codecs), damped.
//  2. H = A A^T with A upper triangular: the lower Cholesky factor of H with
//     rows and columns reversed. With g the snap width and A_hh the g x g
//     diagonal blocks, the feedback matrix F = A blockdiag(A_hh)^-1 (its
//     strictly upper block part) and the per-value weights diag(A_hh A_hh^T).
//  3. Rows are independent given F: every thread codes a range of rows,
//     256 columns at a time, with the feedback inside those columns applied
//     group by group and the feedback to the columns after them as one
//     matrix product (the "lazy batch" of GPTQ).
//
//===----------------------------------------------------------------------===//

#include "itq3/Format/Calibrated.h"

#include "BlockCodec.h"

#include "itq3/Format/DenseMath.h"
#include "itq3/Format/FWHT.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace itq3::format {

using detail::BlockCode;
using detail::BlockCodec;

std::string_view calibrationModeName(CalibrationMode mode) {
  return mode == CalibrationMode::Full ? "full" : "diagonal";
}

std::optional<CalibrationMode> parseCalibrationMode(std::string_view name) {
  if (name == "full")
    return CalibrationMode::Full;
  if (name == "diagonal")
    return CalibrationMode::Diagonal;
  return std::nullopt;
}

void rotateSecondMoment(float *h, int64_t cols, uint64_t seed,
                        unsigned threads, int64_t rotationBlock) {
  // Rotating every row gives H R^T; the transpose of that is R H, whose rows
  // rotated give R H R^T.
  auto rotateRows = [&] {
    parallelRanges(cols, threads, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        rotateRow(h + r * cols, cols, seed, rotationBlock);
    });
  };
  rotateRows();
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = i + 1; j < cols; ++j)
      std::swap(h[i * cols + j], h[j * cols + i]);
  rotateRows();
}

double outputError(const float *w, const float *q, int64_t rows, int64_t cols,
                   const float *h) {
  double total = 0;
  std::vector<double> e(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      e[size_t(c)] = double(w[r * cols + c]) - q[r * cols + c];
    for (int64_t i = 0; i < cols; ++i) {
      double s = 0;
      for (int64_t j = 0; j < cols; ++j)
        s += double(h[i * cols + j]) * e[size_t(j)];
      total += e[size_t(i)] * s;
    }
  }
  return total / double(rows);
}

namespace {

Status checkSecondMoment(const float *h, int64_t cols, double &meanDiag) {
  meanDiag = 0;
  for (int64_t i = 0; i < cols; ++i) {
    float d = h[i * cols + i];
    if (!std::isfinite(d) || d < 0) {
      std::ostringstream os;
      os << "second moment: diagonal entry " << i << " is " << d
         << "; a second moment has a finite, non-negative diagonal";
      return Status::error(os.str());
    }
    meanDiag += d;
  }
  for (int64_t i = 0; i < cols * cols; ++i)
    if (!std::isfinite(h[i]))
      return Status::error("second moment: non-finite entry at row " +
                           std::to_string(i / cols) + ", column " +
                           std::to_string(i % cols));
  meanDiag /= double(cols);
  if (!(meanDiag > 0))
    return Status::error("second moment is zero: the calibration never fed "
                         "this linear a non-zero input");
  return Status::success();
}

/// F (strictly block-upper, row-major cols x cols) and the weights of
/// every value, from the damped stored-domain H (destroyed).
struct Feedback {
  std::vector<float> f, weight;
};

Status factorize(std::vector<float> &h, int64_t k, int g, unsigned threads,
                 Feedback &out) {
  // Reverse rows and columns: the lower factor L of the reversed matrix is
  // A with both indices reversed, A(i, j) = L(k-1-i, k-1-j).
  std::reverse(h.begin(), h.end());
  if (Status s = choleskyLower(h.data(), k, threads); !s)
    return s;
  const std::vector<float> &l = h;
  auto a = [&](int64_t i, int64_t j) { return l[size_t((k - 1 - i) * k + (k - 1 - j))]; };
  int64_t groups = k / g;
  out.weight.assign(size_t(k), 0.0f);
  // Inverses of the diagonal blocks A_hh (upper triangular, g x g), and
  // the weights diag(A_hh A_hh^T) (row i of A_hh squared).
  std::vector<double> inv(size_t(groups * g * g), 0.0);
  for (int64_t grp = 0; grp < groups; ++grp) {
    int64_t c0 = grp * g;
    double *m = inv.data() + grp * g * g;
    for (int i = 0; i < g; ++i) {
      double s = 0;
      for (int j = i; j < g; ++j)
        s += double(a(c0 + i, c0 + j)) * a(c0 + i, c0 + j);
      out.weight[size_t(c0 + i)] = float(s);
    }
    for (int j = 0; j < g; ++j) { // column j of the inverse: back substitution
      for (int i = j; i >= 0; --i) {
        double t = i == j ? 1.0 : 0.0;
        for (int p = i + 1; p <= j; ++p)
          t -= double(a(c0 + i, c0 + p)) * m[p * g + j];
        m[i * g + j] = t / a(c0 + i, c0 + i);
      }
    }
  }
  // F[p, group] = A[p, group] A_hh^-1 for every group after row p's own.
  // Row p of A is row k-1-p of L read backwards: contiguous. Rows are
  // taken short and long in turn (0, k-1, 1, k-2, ...) to balance threads.
  out.f.assign(size_t(k * k), 0.0f);
  parallelRanges(k, threads, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      int64_t p = q % 2 == 0 ? q / 2 : k - 1 - q / 2;
      float *frow = out.f.data() + p * k;
      for (int64_t grp = p / g + 1; grp < groups; ++grp) {
        int64_t c0 = grp * g;
        const double *m = inv.data() + grp * g * g;
        for (int j = 0; j < g; ++j) {
          double t = 0;
          for (int i = 0; i <= j; ++i)
            t += double(a(p, c0 + i)) * m[i * g + j];
          frow[c0 + j] = float(t);
        }
      }
    }
  });
  return Status::success();
}

/// Codes rows [r0, r1) of the stored-domain w with feedback F.
struct RowCoder {
  const BlockCodec &codec;
  const float *w;
  int64_t cols;
  const Feedback &fb;
  ScaleFit scales;
  uint8_t *dst;

  void run(int64_t r0, int64_t r1) const {
    constexpr int64_t kBatch = 256;
    int64_t block = codec.blockSize(), nr = r1 - r0;
    int64_t batch = kBatch % block == 0 ? kBatch : block;
    std::vector<float> x(w + r0 * cols, w + r1 * cols);
    std::vector<float> err(size_t(nr * batch));
    for (int64_t b0 = 0; b0 < cols; b0 += batch) {
      int64_t b1 = std::min(cols, b0 + batch);
      for (int64_t r = 0; r < nr; ++r)
        codeBatch(r0 + r, x.data() + r * cols, b0, b1, err.data() + r * batch);
      // Feedback of this batch's errors to every later column.
      gemmAccumulate(nr, cols - b1, b1 - b0, 1.0f, err.data(), batch,
                     fb.f.data() + b0 * cols + b1, cols, x.data() + b1, cols);
    }
  }

  /// Columns [b0, b1) of one row: x holds the row with the feedback so far.
  void codeBatch(int64_t r, float *x, int64_t b0, int64_t b1, float *err) const {
    int64_t block = codec.blockSize(), g = codec.snapWidth();
    const float *wr = w + r * cols;
    int64_t rowBytes = codec.rowBytes(cols);
    for (int64_t c = b0; c < b1; c += block) {
      BlockCode code;
      const float *fitFrom = scales == ScaleFit::Updated ? x + c : wr + c;
      codec.fitScales(fitFrom, fb.weight.data() + c, code);
      for (int64_t j = 0; j < block; j += g) {
        float q[4];
        codec.snap(x + c + j, fb.weight.data() + c + j, j, code, q);
        for (int64_t i = 0; i < g; ++i) {
          float e = wr[c + j + i] - q[i];
          err[c - b0 + j + i] = e;
          // Feedback inside the batch, to the columns after this group.
          const float *frow = fb.f.data() + (c + j + i) * cols;
          for (int64_t t = c + j + g; t < b1; ++t)
            x[t] += e * frow[t];
        }
      }
      codec.pack(code, dst + r * rowBytes + c / block * codec.bytesPerBlock());
    }
  }
};

} // namespace

Status encodeRowsCalibrated(const Codec &codec, const float *w, int64_t rows,
                            int64_t cols, const float *h,
                            const CalibratedOptions &opts, uint8_t *dst) {
  const BlockCodec *bc = codec.blockCodec();
  if (!bc || !bc->hasCalibratedEncoder())
    return Status::error("format " + std::string(codec.name()) +
                         " has no calibrated encoder");
  if (Status s = codec.checkShape(rows, cols); !s)
    return s;
  if (!(opts.dampening >= 0) || !std::isfinite(opts.dampening))
    return Status::error("calibrated encoding: dampening must be finite and "
                         "non-negative");
  double meanDiag;
  if (Status s = checkSecondMoment(h, cols, meanDiag); !s)
    return s;
  // Stored-domain weights, checked as encodeRows checks them.
  std::vector<float> stored(w, w + rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    float *row = stored.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c)
      if (!std::isfinite(row[c]))
        return Status::error("non-finite weight at row " + std::to_string(r) +
                             ", column " + std::to_string(c));
    if (codec.isRotated())
      rotateRow(row, cols, codec.options().signSeed, codec.rotationBlock());
    if (Status s = bc->checkStoredRow(row, r, cols); !s)
      return s;
  }
  std::vector<float> hs(h, h + cols * cols);
  if (codec.isRotated())
    rotateSecondMoment(hs.data(), cols, codec.options().signSeed, opts.threads,
                       codec.rotationBlock());

  if (opts.mode == CalibrationMode::Diagonal) {
    std::vector<float> importance(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; ++c)
      importance[size_t(c)] = std::max(0.0f, hs[size_t(c * cols + c)]);
    EncodeOptions eo;
    eo.importance = importance.data();
    eo.threads = opts.threads;
    return codec.encodeRows(w, rows, cols, dst, eo);
  }

  float damp = float(opts.dampening * meanDiag);
  for (int64_t c = 0; c < cols; ++c)
    hs[size_t(c * cols + c)] += damp;
  Feedback fb;
  if (Status s = factorize(hs, cols, bc->snapWidth(), opts.threads, fb); !s)
    return s;
  hs = std::vector<float>(); // the factor is in fb now
  RowCoder coder{*bc, stored.data(), cols, fb, opts.scales, dst};
  parallelRanges(rows, opts.threads,
                 [&](int64_t r0, int64_t r1) { coder.run(r0, r1); });
  return Status::success();
}

} // namespace itq3::format
