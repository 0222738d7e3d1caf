//===- Importance.cpp - Per-column importance from calibration inputs -----===//

#include "itq3/Format/Importance.h"

#include "itq3/Format/FWHT.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace itq3::format {

Status activationImportance(const float *x, int64_t tokens, int64_t cols,
                            int64_t rotationBlock, uint64_t signSeed,
                            float *out) {
  if (tokens <= 0 || cols <= 0 ||
      (rotationBlock && (!isFwhtSize(rotationBlock) || cols % rotationBlock))) {
    std::ostringstream os;
    os << "activation importance: bad shape " << tokens << "x" << cols;
    if (rotationBlock)
      os << " (rotated: columns must be a positive multiple of "
         << rotationBlock << ", a size of the FWHT: 64 or 256)";
    return Status::error(os.str());
  }
  std::vector<double> sum(static_cast<size_t>(cols), 0.0);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t t = 0; t < tokens; ++t) {
    const float *src = x + t * cols;
    for (int64_t c = 0; c < cols; ++c)
      if (!std::isfinite(src[c])) {
        std::ostringstream os;
        os << "activation importance: non-finite activation at token " << t
           << ", column " << c;
        return Status::error(os.str());
      }
    std::copy(src, src + cols, row.begin());
    if (rotationBlock)
      rotateRow(row.data(), cols, signSeed, rotationBlock);
    for (int64_t c = 0; c < cols; ++c)
      sum[size_t(c)] += double(row[size_t(c)]) * row[size_t(c)];
  }
  for (int64_t c = 0; c < cols; ++c)
    out[c] = float(sum[size_t(c)] / double(tokens));
  return Status::success();
}

} // namespace itq3::format
