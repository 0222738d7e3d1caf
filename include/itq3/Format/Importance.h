//===- Importance.h - Per-column importance from calibration inputs -*- C++ -*-===//
//
// EncodeOptions::importance weights the squared error of each column. The
// natural statistic is E[x_i^2] over calibration tokens; for rotated formats
// it must be taken in the rotated domain, E[((H D x)_i)^2] per rotation block
// (DESIGN.md section 2): w.x = (H D w).(H D x), so the error of rotated
// coefficient i meets the rotated activation i.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_IMPORTANCE_H
#define ITQ3_FORMAT_IMPORTANCE_H

#include "itq3/Format/Status.h"

#include <cstdint>

namespace itq3::format {

/// out[c] = mean over tokens of x[t][c]^2, x row-major [tokens x cols]; with
/// a rotationBlock n (a codec's rotationBlock(); 0 = none) each token is
/// first rotated per n-block with `signSeed` (cols must then be a multiple
/// of n). Fails on NaN/Inf or bad shapes.
Status activationImportance(const float *x, int64_t tokens, int64_t cols,
                            int64_t rotationBlock, uint64_t signSeed,
                            float *out);

} // namespace itq3::format

#endif // ITQ3_FORMAT_IMPORTANCE_H
