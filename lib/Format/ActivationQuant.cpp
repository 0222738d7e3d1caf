//===- ActivationQuant.cpp - Int8 activations of the integer path ---------===//

#include "itq3/Format/ActivationQuant.h"
#include "itq3/Format/FWHT.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace itq3::format {

void quantizeActivationsInt8(const float *v, int64_t k, int8_t *q,
                             float *scales) {
  for (int64_t g = 0; g < k / kActivationGroup; ++g) {
    const float *in = v + g * kActivationGroup;
    float max = 0;
    for (int64_t e = 0; e < kActivationGroup; ++e)
      max = std::max(max, std::fabs(in[e]));
    // Dividing by the scale (not multiplying by 127 / max) is what the
    // compiled quantize_act does; the two can round differently.
    float scale = max / 127.0f;
    scales[g] = scale;
    for (int64_t e = 0; e < kActivationGroup; ++e)
      q[g * kActivationGroup + e] =
          max > 0 ? int8_t(std::lround(in[e] / scale)) : int8_t(0);
  }
}

void quantizeActivationRow(const float *x, int64_t k, int64_t rotationBlock,
                           uint64_t seed, float *out) {
  std::vector<float> v(x, x + k);
  if (rotationBlock)
    rotateRow(v.data(), k, seed, rotationBlock);
  std::vector<int8_t> q(static_cast<size_t>(k));
  std::vector<float> scales(static_cast<size_t>(k / kActivationGroup));
  quantizeActivationsInt8(v.data(), k, q.data(), scales.data());
  for (int64_t i = 0; i < k; ++i)
    v[size_t(i)] = float(q[size_t(i)]) * scales[size_t(i / kActivationGroup)];
  if (rotationBlock)
    unrotateRow(v.data(), k, seed, rotationBlock);
  std::copy(v.begin(), v.end(), out);
}

} // namespace itq3::format
