//===- GridBlock.h - Writing a grid block from its parts ------------------===//
#ifndef ITQ3_LIB_FORMAT_GRIDBLOCK_H
#define ITQ3_LIB_FORMAT_GRIDBLOCK_H

#include "itq3/Format/GridCodec.h"

#include <cstdint>

namespace itq3::format::detail {

/// The layout of GridCodec.h from d, the sub-scales l, the grid indices and
/// the sign flags (non-zero = negative), one of each per 32, 4 and 1 weights.
void writeGridBlock(uint8_t *dst, float d, const int *subScale,
                    const int *index, const uint8_t *negative,
                    GridLayout layout);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_GRIDBLOCK_H
