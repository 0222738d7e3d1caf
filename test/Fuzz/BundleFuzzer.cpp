//===- BundleFuzzer.cpp - libFuzzer target for the bundle loader ----------===//
//
// Bundle::parse must refuse any input with a message and never crash or read
// out of bounds. Each input is parsed twice, from an exact-size heap copy so
// ASan sees any overread: as it is (which almost always stops at the table
// checksum), and with the header checksum recomputed, so mutations of the
// tables reach the decoders and the reference checks behind it.
//
//===----------------------------------------------------------------------===//
#include "BundleFormat.h"

#include "itq3/Runtime/Bundle.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

using namespace itq3::rt;

namespace {

/// Touches everything a successful parse hands out, so a bad pointer or
/// size would fault here under ASan.
void touch(const Bundle &b) {
  volatile uint8_t sink = 0;
  for (const TensorInfo &t : b.tensors())
    if (t.size)
      sink = sink ^ t.data[0] ^ t.data[t.size - 1];
  for (const CodeObject &c : b.code())
    if (c.size)
      sink = sink ^ c.data[0] ^ c.data[c.size - 1];
  for (const auto &[key, value] : b.meta().config) {
    int64_t i;
    (void)b.configInt(key, i);
  }
  (void)sink;
}

void parse(const std::vector<uint8_t> &bytes) {
  std::unique_ptr<Bundle> b;
  Status s = Bundle::parse(bytes.data(), bytes.size(), b);
  if (s.ok())
    touch(*b);
  else if (s.message().empty())
    __builtin_trap(); // every refusal must say why
}

/// Recomputes the header checksum where the header's data offset allows.
bool reseal(std::vector<uint8_t> &bytes) {
  if (bytes.size() < layout::kHeaderSize)
    return false;
  layout::Header h = layout::decodeHeader(bytes.data());
  uint64_t tablesEnd = h.offset[layout::Data];
  if (tablesEnd < layout::kHeaderSize || tablesEnd > bytes.size())
    return false;
  uint64_t sum = layout::tablesChecksum(bytes.data(), tablesEnd);
  for (int i = 0; i < 8; ++i)
    bytes[layout::kOffChecksum + i] = uint8_t(sum >> (8 * i));
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  parse(copy);
  if (reseal(copy))
    parse(copy);
  return 0;
}
