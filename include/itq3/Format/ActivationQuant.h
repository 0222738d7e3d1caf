//===- ActivationQuant.h - Int8 activations of the integer path -*- C++ -*-===//
//
// The compiled model feeds every linear stored in an int8-path format (every
// format but f16) with activations quantized symmetrically per group of 32:
// scale = max|v| / 127, q = lround(v / scale) (half away from zero); a group
// of zeros has scale 0 and codes 0. For rotated formats the quantized values
// are v = H D x per rotation block (rotateRow with the codec's
// rotationBlock()), the domain their weights are stored in. This is the numeric definition shared by the runtime, the
// compiler's tests and the reference forward pass.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_ACTIVATIONQUANT_H
#define ITQ3_FORMAT_ACTIVATIONQUANT_H

#include <cstdint>

namespace itq3::format {

constexpr int64_t kActivationGroup = 32;

/// Codes q[k] and scales[k / 32] of v[k]; k must be a multiple of 32.
void quantizeActivationsInt8(const float *v, int64_t k, int8_t *q,
                             float *scales);

/// What the integer path multiplies with, brought back to the weight
/// domain: out = R^-1 deq(Q(R x)) with R = H D per block of rotationBlock
/// (seed as in rotateRow) when rotationBlock > 0, else R = I. So
/// W_decoded . out equals W_stored . deq(Q(R x)), the compiled product. k
/// must be a multiple of 32, and of rotationBlock; out may alias x.
void quantizeActivationRow(const float *x, int64_t k, int64_t rotationBlock,
                           uint64_t seed, float *out);

} // namespace itq3::format

#endif // ITQ3_FORMAT_ACTIVATIONQUANT_H
