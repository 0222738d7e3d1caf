//===- ScalarCodecs.h - Factories of the scalar codecs (internal) ---------===//
#ifndef ITQ3_LIB_FORMAT_SCALARCODECS_H
#define ITQ3_LIB_FORMAT_SCALARCODECS_H

#include "itq3/Format/Codec.h"

namespace itq3::format::detail {

constexpr int kQ3BlockBytes = 14;

/// One 32-weight q3 block (shared by q3 and q3r).
void encodeQ3Block(const float *values, const float *importance, uint8_t *dst);
void decodeQ3Block(const uint8_t *src, float *dst);
/// Parts of encodeQ3Block, for the calibrated encoder: the fp16 scale the
/// round-to-nearest fit picks, one value snapped at scale d (returns what
/// decodes), and a block written from its scale and 32 codes.
float fitQ3Scale(const float *values, const float *importance);
float snapQ3(float value, float d, int &code);
void packQ3Block(float d, const uint8_t *codes, uint8_t *dst);

/// f16, q8, q4, q3, q3r; null for other kinds.
std::unique_ptr<Codec> createScalarCodec(FormatKind kind, CodecOptions options);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_SCALARCODECS_H
