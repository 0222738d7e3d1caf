//===- GridBlock.h - Writing a 110-byte grid block from its parts ---------===//
#ifndef ITQ3_LIB_FORMAT_GRIDBLOCK_H
#define ITQ3_LIB_FORMAT_GRIDBLOCK_H

#include <cstdint>

namespace itq3::format::detail {

/// The layout of GridCodec.h from d, the 8 sub-scales l, the 64 grid
/// indices and 256 sign flags (non-zero = negative).
void writeGridBlock(uint8_t *dst, float d, const int *subScale,
                    const int *index, const uint8_t *negative);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_GRIDBLOCK_H
