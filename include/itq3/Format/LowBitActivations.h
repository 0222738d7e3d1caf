//===- LowBitActivations.h - TWLA's per-token 4/8-bit activations -*- C++ -*-===//
//
// TWLA quantizes a linear's (rotated) input per token, asymmetrically, to b
// bits with a clip ratio c in (0, 1]:
//   lo = c min(x), hi = c max(x), scale = (hi - lo) / (2^b - 1),
//   z = round(clamp(-lo / scale, 2^b - 128, 127)) (b <= 7; b = 8: no clamp),
//   q = clamp(round(x / scale) + z, 0, 2^b - 1), x^ = (q - z) scale,
// (rounding halves to even; the clamp of z keeps q - z within int8, as the
// compiled quantizer stores it: itq3.quantize_act bits(b)),
// one scale and one zero point per token (per row of K values). A token
// whose values are all equal (hi = lo) keeps them: a single level is exact.
//
// The clip ratio of a quantizer is searched on calibration inputs: the c
// of a grid that minimizes the relative output error of the linears that
// read it, sum ||W' (x - x^)||^2 / sum ||W' x||^2 (W' the decoded rotated
// weights, stacked when several linears share the input). The bits of each
// quantizer are chosen from {4, 8} under an average budget (allocateBits).
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_LOWBITACTIVATIONS_H
#define ITQ3_FORMAT_LOWBITACTIVATIONS_H

#include <cstdint>
#include <vector>

namespace itq3::format {

/// out[0..k) = x^ of x[0..k) (may alias).
void quantizeTokenAsymmetric(const float *x, int64_t k, int bits, float clip,
                             float *out);

/// Relative output error of quantizing `count` samples [count x k] with
/// (bits, clip) for the stacked weights w [n x k].
double activationOutputError(const float *samples, int64_t count, int64_t k,
                             const float *w, int64_t n, int bits, float clip,
                             unsigned threads = 1);

struct ClipChoice {
  float clip = 1;
  double error = 0;
};

/// The best clip ratio of `candidates` (ties to the first).
ClipChoice searchClipRatio(const float *samples, int64_t count, int64_t k,
                           const float *w, int64_t n, int bits,
                           const std::vector<float> &candidates,
                           unsigned threads = 1);

/// The clip grid searched by default: 1.00, 0.95, ..., 0.50.
std::vector<float> defaultClipGrid();

/// Bits per quantizer from {4, 8}: all start at 4; quantizers move to 8 in
/// the order of their error drop per unit cost ((err4 - err8) / cost),
/// each only if the cost-weighted mean of the bits stays within `budget`
/// (sum bits_i cost_i <= budget sum cost_i). Quantizers whose drop is not
/// positive stay at 4.
std::vector<int> allocateBits(const std::vector<double> &err4,
                              const std::vector<double> &err8,
                              const std::vector<double> &cost, double budget);

} // namespace itq3::format

#endif // ITQ3_FORMAT_LOWBITACTIVATIONS_H
