//===- Calibrated.h - Error-feedback (GPTQ/LDLQ) weight encoding -*- C++ -*-===//
//
// Round-to-nearest codes each block of a row alone. With the second moment
// H = E[x x^T] of the linear's input (from calibration), the error that
// matters is tr((W - Q) H (W - Q)^T), and the columns not yet coded can
// absorb the error of those already coded. LDLQ (Chee et al. 2023, the
// same algorithm as GPTQ, Frantar et al. 2022): with H = U D U^T, U unit
// upper triangular (a Cholesky factorization in reverse column order),
//
//   q_k = Q(w_k + sum_{j<k} (w_j - q_j) U_jk)
//
// makes the error sum_k D_kk r_k^2 of the residuals r_k of the quantizer.
// Columns go in groups of the container's snap width (4-tuples of the grid
// formats, single values of the scalar ones) with the block version of the
// factorization, so a group is snapped jointly and only later groups get its
// error. Rotated formats work in the rotated domain: W R^T and R H R^T
// (FWHT.h; R orthogonal, so the objective is the same).
//
// The output is byte for byte the layout of Codec::encodeRows: every
// decoder and kernel reads it unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_CALIBRATED_H
#define ITQ3_FORMAT_CALIBRATED_H

#include "itq3/Format/Codec.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace itq3::format {

enum class CalibrationMode {
  /// Error feedback through the full H (GPTQ/LDLQ).
  Full,
  /// No feedback: round-to-nearest weighting each column by diag(H) in the
  /// codec's domain (an importance matrix; for rotated formats the diagonal
  /// of R H R^T, which needs the full H of the unrotated input).
  Diagonal,
};

/// Where the scales of a block come from in Full mode.
enum class ScaleFit {
  /// From the feedback-updated values of the block when the encoder reaches
  /// it (the block's share of the error of earlier blocks included).
  Updated,
  /// From the original weights, fixed before any feedback.
  Original,
};

struct CalibratedOptions {
  CalibrationMode mode = CalibrationMode::Full;
  ScaleFit scales = ScaleFit::Updated;
  /// Added to the diagonal of H before factorizing, as a fraction of the
  /// mean of the diagonal: keeps the factorization defined for the
  /// rank-deficient H of few tokens and limits over-fitting to them.
  double dampening = 0.01;
  /// Worker threads; 0 = std::thread::hardware_concurrency().
  unsigned threads = 0;
};

std::string_view calibrationModeName(CalibrationMode mode);
std::optional<CalibrationMode> parseCalibrationMode(std::string_view name);

/// Encodes w[rows x cols] with `codec` so as to minimize the output error on
/// inputs of second moment h[cols x cols] (row-major, symmetric, in the
/// weight domain: the rotation is applied here for rotated codecs). dst gets
/// codec.matrixBytes(rows, cols) bytes. Fails on a bad shape, a non-finite
/// or negative-diagonal h, a zero h, or weights the codec refuses.
Status encodeRowsCalibrated(const Codec &codec, const float *w, int64_t rows,
                            int64_t cols, const float *h,
                            const CalibratedOptions &opts, uint8_t *dst);

/// h <- R h R^T in place, R the block-diagonal FWHT of `rotationBlock` (256
/// or 64) with the signs of `seed` (cols a multiple of it): the second
/// moment of the rotated input.
void rotateSecondMoment(float *h, int64_t cols, uint64_t seed, unsigned threads,
                        int64_t rotationBlock = 256);

/// tr((W - Q) H (W - Q)^T) / rows for two [rows x cols] matrices: the mean
/// squared output error of a row on inputs of second moment h.
double outputError(const float *w, const float *q, int64_t rows, int64_t cols,
                   const float *h);

} // namespace itq3::format

#endif // ITQ3_FORMAT_CALIBRATED_H
