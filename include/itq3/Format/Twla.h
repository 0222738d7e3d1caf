//===- Twla.h - TWLA: asymmetric ternary weights per group ------*- C++ -*-===//
//
// TWLA approximates each group of G consecutive weights of a row (of the
// rotated weight W' = W R^T, KronRotation.h) as w ~ mu + alpha * t with
// t in {-1, 0, 1}^G. The fit (E2M-ATQ, DESIGN.md §6):
//   1. on the weights alone: mu = the group mean, Delta = 0.75 mean|w - mu|,
//      t = sign(w - mu) where |w - mu| > Delta, alpha = sum t (w - mu) /
//      sum |t|; then `iterations` alternations of (a) t for fixed (mu,
//      alpha), the nearest of mu - alpha, mu, mu + alpha, and (b) the joint
//      least-squares (mu, alpha) for fixed t;
//   2. with calibration statistics: t frozen, (mu, alpha) of every group of
//      the row re-solved together to minimize the layer-output error
//      (w - w^)^T H (w - w^), H = E[x x^T] of the (rotated) input damped by
//      `dampening` times its mean diagonal. "Full" couples all groups of the
//      row through the off-diagonal blocks of H (one 2m x 2m system per row,
//      m = K / G: the exact minimizer); "block" keeps only each group's
//      diagonal block H_gg (m independent 2 x 2 systems). The objective is
//      quadratic in (mu, alpha), so one solve is its minimum: there is
//      nothing to iterate once t is frozen.
//   With `feedback` (and H), step 1 runs with GPTQ/LDLQ error feedback
//   (Calibrated.h, as TWLA wraps its fit in GPTQ): columns in order, each
//   group's (mu, alpha, t) fitted on its feedback-updated weights when the
//   coder reaches it, each column's trit the nearest level of its updated
//   value, and its error w_j - q_j fed to the later columns through the
//   reverse Cholesky factor of H. Step 2 then re-solves (mu, alpha) for
//   those trits against the original weights.
//
// Stored form, per row and group, every byte counted:
//   bytes 0-1   fp16 d >= 0,
//   byte  2     int8 c_mu, byte 3 int8 c_alpha, |c_mu| + |c_alpha| <= 127,
//   ceil(G / 5) bytes of trits, five per byte in base 3 (trit j is digit
//   j % 5 of byte j / 5, as ptqtp packs them: PtqtpLayout.h packDigits),
// and weight j decodes to d * (c_mu + c_alpha t_j): one int8 code under one
// scale, exactly as ptqtp's planes do, so the int8 kernels of every format
// serve twla unchanged. (mu, alpha) are fitted in float and rounded to the
// codes last: d = (|mu| + |alpha|) / 127 in fp16, each of mu and alpha off
// by at most d / 2. G = 64 costs 17 bytes: 2.125 bits per weight (G = 128:
// 30 bytes, 1.875), the same 32 bits of scales as two fp16 would take.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_TWLA_H
#define ITQ3_FORMAT_TWLA_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <vector>

namespace itq3::format {

enum class TwlaCoupling : uint8_t {
  None,  // step 2 skipped: the weight-only fit
  Block, // each group against its own block H_gg
  Full,  // all groups of a row together against the whole H
};

struct TwlaParams {
  int64_t group = 64;
  int iterations = 15;
  double deltaRatio = 0.75;
  TwlaCoupling coupling = TwlaCoupling::Full;
  bool feedback = true;
  double dampening = 0.01;
};

/// (mu, alpha) of one group.
struct TernaryScale {
  double mu = 0, alpha = 0;
};

/// Step 1 on n weights: writes t[0..n) and returns (mu, alpha).
TernaryScale fitTernaryGroup(const float *w, int64_t n, int8_t *t,
                             const TwlaParams &p = {});

/// The least-squares (mu, alpha) of w for fixed trits t (unweighted).
TernaryScale solveTernaryScale(const float *w, const int8_t *t, int64_t n);

/// Step 2 on one row of K = m G weights with its trits frozen: `scales`
/// (m entries, the weight-only fit on entry) become the minimizer of
/// (w - w^)^T H (w - w^) for the coupling of p (H: K x K, already damped).
/// A group without a nonzero trit keeps alpha = 0 and only its mu moves.
void resolveScalesUnderH(const float *w, const int8_t *t, int64_t k,
                         const float *h, const TwlaParams &p,
                         TernaryScale *scales);

/// (w - w^)^T H (w - w^) of a decoded row, in double.
double weightedError(const float *w, const float *decoded, int64_t k,
                     const float *h);

/// The largest |code| = |c_mu| + |c_alpha| of a stored group.
constexpr int kTwlaCodeMax = 127;

/// Step 1 (the weight-only fit) of one group of `group` weights, stored at
/// dst (twlaGroupBytes(group) bytes).
void encodeTwlaGroup(const float *w, int64_t group, const TwlaParams &p,
                     uint8_t *dst);
/// The `group` weights of one stored group: d * (c_mu + c_alpha t).
void decodeTwlaGroup(const uint8_t *src, int64_t group, float *dst);

/// Bytes of one stored group, of a matrix; whether K fits the group.
int64_t twlaGroupBytes(int64_t group);
int64_t twlaMatrixBytes(int64_t rows, int64_t cols, int64_t group);

/// Encodes w [rows x cols] (already in the rotated domain) into `packed`
/// (resized). h: the K x K second moment of the rotated input, or null for
/// the weight-only fit. Fails when G does not divide K or a weight is not
/// finite.
Status encodeTwla(const float *w, int64_t rows, int64_t cols,
                  const TwlaParams &p, const float *h, unsigned threads,
                  std::vector<uint8_t> &packed);

/// Decodes into dst [rows x cols] with decodeTwlaGroup.
Status decodeTwla(const uint8_t *packed, int64_t rows, int64_t cols,
                  int64_t group, float *dst, unsigned threads = 1);

/// H + dampening * mean(diag H) * I, in place on a K x K matrix.
void dampenGram(std::vector<float> &h, int64_t k, double dampening);

} // namespace itq3::format

#endif // ITQ3_FORMAT_TWLA_H
