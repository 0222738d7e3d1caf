//===- ScalarFit.h - Least-squares scale for uniform scalar codes ---------===//
//
// q4 and q3 store codes q in 0..qmax with value d * (a q + b). The scale is
// chosen by a small search (the largest-magnitude value mapped to a few
// trial levels), each trial followed by a least-squares refit of d for the
// codes it produced; the best refit wins, then d is rounded to fp16 and the
// codes recomputed with the rounded d so that they are exact for what
// decodes.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_FORMAT_SCALARFIT_H
#define ITQ3_LIB_FORMAT_SCALARFIT_H

#include <cstdint>
#include <vector>

namespace itq3::format::detail {

struct UniformLevels {
  int a, b, qmax; // value = d * (a q + b), q in 0..qmax
  int level(int q) const { return a * q + b; }
  int code(float y) const; // nearest code to y (in units of d)
};

/// Fits d for n values; `targets` are the trial levels of the value of
/// largest magnitude m (d = m / t). w may be null (flat). Returns the fp16
/// scale (as float) and writes the codes.
float fitUniform(const float *x, const float *w, int n, const UniformLevels &L,
                 const std::vector<float> &targets, uint8_t *codes);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_SCALARFIT_H
