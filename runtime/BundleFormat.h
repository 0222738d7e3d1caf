//===- BundleFormat.h - The bundle's byte layout (private) ----------------===//
//
// Shared by the writer and the loader so both agree on every offset; the
// layout is documented field by field in docs/bundle.md. Changing anything
// here means bumping kBundleFormatVersion.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_BUNDLEFORMAT_H
#define ITQ3_RUNTIME_BUNDLEFORMAT_H

#include "itq3/Runtime/Bundle.h"

#include <cstdint>
#include <vector>

namespace itq3::rt::layout {

constexpr char kMagic[8] = {'I', 'T', 'Q', '3', 'B', 'N', 'D', 'L'};
constexpr uint32_t kHeaderSize = 160;
constexpr uint64_t kTensorAlign = 64;
constexpr uint64_t kCodeAlign = 4096;

// Byte offsets of the fixed header's fields.
constexpr uint64_t kOffVersion = 8, kOffHeaderSize = 12, kOffFileSize = 16;
constexpr uint64_t kOffCounts = 24;   // u32 tensors, functions, steps, codes
constexpr uint64_t kOffRegions = 40;  // 6 x (u64 offset, u64 size)
constexpr uint64_t kOffReserved = 136; // 16 zero bytes
constexpr uint64_t kOffChecksum = 152;

// The regions the header points at, in file order.
enum Region { Meta, Tensors, Functions, Plan, Code, Data, kNumRegions };
const char *regionName(int region);

// Limits that keep a corrupt count or length from turning into a huge
// allocation or a long loop; far above any real model.
constexpr uint32_t kMaxName = 4096;         // names, targets, formats
constexpr uint32_t kMaxConfigValue = 1 << 20;
constexpr uint32_t kMaxRank = 8;
constexpr uint32_t kMaxParams = 1024;
constexpr uint32_t kMaxRepeat = 65536;
constexpr uint64_t kMaxTokenizer = 1ull << 30;

struct Header {
  uint32_t version = 0, headerSize = 0;
  uint64_t fileSize = 0;
  uint32_t counts[4] = {0, 0, 0, 0}; // tensors, functions, plan steps, code
  uint64_t offset[kNumRegions] = {}, size[kNumRegions] = {};
  uint64_t checksum = 0;
};

void encodeHeader(const Header &h, uint8_t *out /*kHeaderSize bytes*/);
Header decodeHeader(const uint8_t *in /*kHeaderSize bytes*/);
/// The header checksum: the header up to its checksum field, then every
/// table (the bytes from kHeaderSize to the data region).
uint64_t tablesChecksum(const uint8_t *file, uint64_t tablesEnd);

/// Everything a bundle holds, decoded; Bundle owns one of these.
struct Contents {
  BundleMeta meta;
  std::vector<TensorInfo> tensors;
  std::vector<FunctionInfo> functions;
  std::vector<PlanStep> plan;
  std::vector<CodeObject> code;
};

// Table encoders (the writer) and decoders (the loader), one per region.
std::vector<uint8_t> encodeMeta(const BundleMeta &meta);
std::vector<uint8_t> encodeTensors(const std::vector<TensorInfo> &tensors);
std::vector<uint8_t> encodeFunctions(const std::vector<FunctionInfo> &fns);
std::vector<uint8_t> encodePlan(const std::vector<PlanStep> &plan);
std::vector<uint8_t> encodeCode(const std::vector<CodeObject> &code);

/// Decodes and checks the whole file image into `out`: header, regions,
/// tables, data ranges and checksums, then the references between tables.
Status decodeBundle(const uint8_t *data, uint64_t size, Contents &out);

/// The compile limits and tensor-parallel rank make sense.
Status checkMeta(const BundleMeta &meta);
/// Every string, rank, count and enum is within what the decoder accepts.
Status checkLimits(const Contents &contents);

/// The references between tables: unique names, plan steps naming known
/// functions, tensor bindings naming tensors of the right byte size. Also
/// run by the writer so itq3-compile never writes a bundle the loader
/// would refuse.
Status checkReferences(const Contents &contents);

} // namespace itq3::rt::layout

#endif // ITQ3_RUNTIME_BUNDLEFORMAT_H
