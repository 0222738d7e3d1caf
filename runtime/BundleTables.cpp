//===- BundleTables.cpp - Encode and decode the header and tables ---------===//
//
// Each table is a sequence of fixed-width little-endian fields and
// length-prefixed strings. Decoders check every count against the bytes its
// entries need at least, so a corrupt count fails before any allocation.
//
//===----------------------------------------------------------------------===//
#include "BundleFormat.h"

#include "ByteIO.h"
#include "itq3/Runtime/Checksum.h"

#include <cstring>

namespace itq3::rt::layout {

const char *regionName(int region) {
  static const char *names[kNumRegions] = {"meta",       "tensor table",
                                           "function table", "plan",
                                           "code table", "data region"};
  return names[region];
}

//===-- Header ------------------------------------------------------------===//

void encodeHeader(const Header &h, uint8_t *out) {
  std::memset(out, 0, kHeaderSize);
  std::memcpy(out, kMagic, 8);
  storeLE(out + kOffVersion, h.version, 4);
  storeLE(out + kOffHeaderSize, h.headerSize, 4);
  storeLE(out + kOffFileSize, h.fileSize, 8);
  for (int i = 0; i < 4; ++i)
    storeLE(out + kOffCounts + 4 * i, h.counts[i], 4);
  for (int r = 0; r < kNumRegions; ++r) {
    storeLE(out + kOffRegions + 16 * r, h.offset[r], 8);
    storeLE(out + kOffRegions + 16 * r + 8, h.size[r], 8);
  }
  storeLE(out + kOffChecksum, h.checksum, 8);
}

Header decodeHeader(const uint8_t *in) {
  Header h;
  h.version = uint32_t(loadLE(in + kOffVersion, 4));
  h.headerSize = uint32_t(loadLE(in + kOffHeaderSize, 4));
  h.fileSize = loadLE(in + kOffFileSize, 8);
  for (int i = 0; i < 4; ++i)
    h.counts[i] = uint32_t(loadLE(in + kOffCounts + 4 * i, 4));
  for (int r = 0; r < kNumRegions; ++r) {
    h.offset[r] = loadLE(in + kOffRegions + 16 * r, 8);
    h.size[r] = loadLE(in + kOffRegions + 16 * r + 8, 8);
  }
  h.checksum = loadLE(in + kOffChecksum, 8);
  return h;
}

uint64_t tablesChecksum(const uint8_t *file, uint64_t tablesEnd) {
  uint64_t h = checksum64(file, kOffChecksum);
  return checksum64(file + kHeaderSize, tablesEnd - kHeaderSize, h);
}

//===-- Encoders ----------------------------------------------------------===//

std::vector<uint8_t> encodeMeta(const BundleMeta &meta) {
  ByteWriter w;
  w.str(compilerVersion());
  w.i64(meta.maxContext);
  w.i64(meta.prefillChunk);
  w.i64(meta.tensorParallelDegree);
  w.i64(meta.tensorParallelRank);
  w.u32(uint32_t(meta.config.size()));
  for (const auto &[key, value] : meta.config) {
    w.str(key);
    w.str(value);
  }
  w.u64(meta.tokenizer.size());
  w.bytes.insert(w.bytes.end(), meta.tokenizer.begin(), meta.tokenizer.end());
  return std::move(w.bytes);
}

static void encodeDims(ByteWriter &w, const std::vector<int64_t> &dims) {
  w.u32(uint32_t(dims.size()));
  for (int64_t d : dims)
    w.i64(d);
}

std::vector<uint8_t> encodeTensors(const std::vector<TensorInfo> &tensors) {
  ByteWriter w;
  for (const TensorInfo &t : tensors) {
    w.str(t.name);
    w.str(t.format);
    w.str(t.rotation);
    w.str(t.layout);
    w.u64(t.signSeed);
    encodeDims(w, t.shape);
    w.u64(t.offset);
    w.u64(t.size);
    w.u64(t.checksum);
  }
  return std::move(w.bytes);
}

std::vector<uint8_t> encodeFunctions(const std::vector<FunctionInfo> &fns) {
  ByteWriter w;
  for (const FunctionInfo &f : fns) {
    w.str(f.name);
    w.str(f.target);
    w.str(f.entry);
    for (uint32_t v : f.grid)
      w.u32(v);
    for (uint32_t v : f.block)
      w.u32(v);
    w.u32(f.sharedBytes);
    w.u32(uint32_t(f.params.size()));
    for (const ParamBinding &p : f.params) {
      w.u8(uint8_t(p.kind));
      w.u8(uint8_t(p.elementType));
      w.u16(0);
      w.str(p.name);
      encodeDims(w, p.sizes);
    }
  }
  return std::move(w.bytes);
}

std::vector<uint8_t> encodePlan(const std::vector<PlanStep> &plan) {
  ByteWriter w;
  for (const PlanStep &s : plan) {
    w.str(s.function);
    w.u32(s.repeat);
  }
  return std::move(w.bytes);
}

std::vector<uint8_t> encodeCode(const std::vector<CodeObject> &code) {
  ByteWriter w;
  for (const CodeObject &c : code) {
    w.str(c.target);
    w.str(c.kind);
    w.str(c.arch);
    w.u64(c.offset);
    w.u64(c.size);
    w.u64(c.checksum);
  }
  return std::move(w.bytes);
}

} // namespace itq3::rt::layout
