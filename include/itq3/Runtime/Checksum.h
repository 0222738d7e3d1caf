//===- Checksum.h - The 64-bit hash of bundle tables and blobs --*- C++ -*-===//
//
// XXH64 (Yann Collet's xxHash, 64-bit variant), written out here so the
// runtime needs no library for it. It reads eight bytes at a time in four
// lanes, several GB/s on one core, so verifying every tensor of a
// multi-gigabyte bundle at load stays well under a second per GB.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_CHECKSUM_H
#define ITQ3_RUNTIME_CHECKSUM_H

#include <cstdint>

namespace itq3::rt {

/// XXH64 of `size` bytes. Chaining (hash(b, hash(a))) covers several
/// regions with one value.
uint64_t checksum64(const uint8_t *data, uint64_t size, uint64_t seed = 0);

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_CHECKSUM_H
