//===- BitAccounting.h - Bits per weight from stored bytes ------*- C++ -*-===//
//
// Every reported bits-per-weight figure is stored bytes * 8 / weights, with
// scales, signs, masks and fallbacks all inside the stored bytes: never a
// nominal figure.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_BITACCOUNTING_H
#define ITQ3_FORMAT_BITACCOUNTING_H

#include <cstdint>

namespace itq3::format {

/// Bits per weight of a tensor (or a sum of tensors) of `elements` weights
/// stored in `bytes` bytes; 0 for an empty tensor.
inline double tensorBitsPerWeight(int64_t bytes, int64_t elements) {
  return elements > 0 ? 8.0 * double(bytes) / double(elements) : 0.0;
}

/// Running total over many tensors, e.g. all quantized linears of a model.
struct BitTally {
  int64_t bytes = 0;
  int64_t elements = 0;
  void add(int64_t tensorBytes, int64_t tensorElements) {
    bytes += tensorBytes;
    elements += tensorElements;
  }
  double bitsPerWeight() const { return tensorBitsPerWeight(bytes, elements); }
};

} // namespace itq3::format

#endif // ITQ3_FORMAT_BITACCOUNTING_H
