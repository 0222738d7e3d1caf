//===- TwlaCodec.h - The twla codec (internal) ----------------------------===//
#ifndef ITQ3_LIB_FORMAT_TWLACODEC_H
#define ITQ3_LIB_FORMAT_TWLACODEC_H

#include "itq3/Format/Codec.h"

namespace itq3::format::detail {

std::unique_ptr<Codec> createTwlaCodec(CodecOptions options);

} // namespace itq3::format::detail

#endif // ITQ3_LIB_FORMAT_TWLACODEC_H
