//===- PtqtpCodec.h - The ptqtp codec (internal) --------------------------===//
#ifndef ITQ3_LIB_FORMAT_PTQTPCODEC_H
#define ITQ3_LIB_FORMAT_PTQTPCODEC_H

#include "itq3/Format/Codec.h"

namespace itq3::format::detail {

/// The 128 integer codes m1 t1 + m2 t2 of one stored ptqtp block.
void decodePtqtpCodes(const uint8_t *block, int *codes);

std::unique_ptr<Codec> createPtqtpCodec(CodecOptions options);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_PTQTPCODEC_H
