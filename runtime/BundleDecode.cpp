//===- BundleDecode.cpp - Validate and decode a bundle image --------------===//
//
// The order of the checks is the order of trust: the magic and the format
// version first (so a foreign file gets the message that says what it is),
// then the sizes and region bounds the checksum needs, then the checksum
// over the header and tables, and only then the tables themselves, the data
// ranges and the per-blob checksums. Every bound is checked without
// overflow: `a + b <= c` is written `b <= c - a` after `a <= c`.
//
//===----------------------------------------------------------------------===//
#include "BundleFormat.h"

#include "ByteIO.h"
#include "itq3/Runtime/Checksum.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace itq3::rt::layout {
namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

std::string entry(const char *table, size_t i, const std::string &name) {
  return std::string(table) + " entry " + std::to_string(i) +
         (name.empty() ? "" : " ('" + name + "')");
}

/// Fails unless `count` entries of at least `minBytes` each fit.
bool countFits(ByteReader &r, uint64_t count, uint64_t minBytes,
               const char *what) {
  if (count <= r.remaining() / minBytes)
    return true;
  r.fail("a count of " + std::to_string(count) + " " + what +
         " cannot fit in " + std::to_string(r.remaining()) + " bytes");
  return false;
}

std::vector<int64_t> readDims(ByteReader &r, int64_t minDim) {
  uint32_t rank = r.u32();
  if (!r.ok())
    return {};
  if (rank > kMaxRank) {
    r.fail("rank " + std::to_string(rank) + " is over the limit of " +
           std::to_string(kMaxRank));
    return {};
  }
  if (!countFits(r, rank, 8, "dimensions"))
    return {};
  std::vector<int64_t> dims(rank);
  for (int64_t &d : dims) {
    d = r.i64();
    if (r.ok() && d < minDim)
      r.fail("dimension " + std::to_string(d) + " is negative");
  }
  return dims;
}

/// Every table must end exactly where its region ends: trailing bytes mean
/// a count and a region size disagree.
Status finish(ByteReader &r) {
  if (r.ok() && r.remaining() != 0)
    r.fail(std::to_string(r.remaining()) + " unused bytes after the last entry");
  return r.ok() ? Status::success() : Status::error(r.error());
}

//===-- Header and regions ------------------------------------------------===//

Status checkHeader(const uint8_t *data, uint64_t size, Header &h) {
  if (size >= 8 && std::memcmp(data, kMagic, 8) != 0)
    return Status::error("not an itq3 bundle: the file does not start with "
                         "the magic \"ITQ3BNDL\"");
  if (size < kHeaderSize)
    return Status::error("truncated bundle: " + std::to_string(size) +
                         " bytes, less than the " +
                         std::to_string(kHeaderSize) + "-byte header");
  h = decodeHeader(data);
  if (h.version != kBundleFormatVersion)
    return Status::error("bundle format version " + std::to_string(h.version) +
                         ", this runtime reads " +
                         std::to_string(kBundleFormatVersion) +
                         ": recompile with itq3-compile");
  if (h.headerSize != kHeaderSize)
    return Status::error("bad header size " + std::to_string(h.headerSize) +
                         " (format version 1 has " +
                         std::to_string(kHeaderSize) + ")");
  if (h.fileSize > size)
    return Status::error("truncated bundle: the header records " +
                         std::to_string(h.fileSize) + " bytes, the file has " +
                         std::to_string(size));
  if (h.fileSize < size)
    return Status::error("corrupt bundle: " +
                         std::to_string(size - h.fileSize) +
                         " bytes past the end the header records");
  for (uint64_t i = kOffReserved; i < kOffChecksum; ++i)
    if (data[i] != 0)
      return Status::error("corrupt bundle header: reserved bytes are not zero");
  return Status::success();
}

/// Regions lie after the header, in file order, without overlap; the data
/// region runs to the end of the file.
Status checkRegions(const Header &h) {
  uint64_t end = kHeaderSize;
  for (int r = 0; r < kNumRegions; ++r) {
    std::string what = std::string("corrupt bundle header: the ") +
                       regionName(r) + " (offset " + std::to_string(h.offset[r]) +
                       ", " + std::to_string(h.size[r]) + " bytes)";
    if (h.offset[r] < end)
      return Status::error(what + " overlaps the header or the region before it");
    if (h.offset[r] > h.fileSize || h.size[r] > h.fileSize - h.offset[r])
      return Status::error(what + " runs past the end of the " +
                           std::to_string(h.fileSize) + "-byte file");
    end = h.offset[r] + h.size[r];
  }
  if (end != h.fileSize)
    return Status::error("corrupt bundle header: the data region ends at " +
                         std::to_string(end) + ", the file at " +
                         std::to_string(h.fileSize));
  return Status::success();
}

//===-- Tables ------------------------------------------------------------===//

Status decodeMeta(const uint8_t *p, uint64_t n, BundleMeta &m) {
  ByteReader r(p, n, "bundle meta");
  m.compilerVersion = r.str(kMaxName);
  if (!r.ok())
    return Status::error(r.error());
  if (m.compilerVersion != compilerVersion())
    return Status::error("bundle compiled by \"" + m.compilerVersion +
                         "\", this runtime is \"" + compilerVersion() +
                         "\": recompile with itq3-compile");
  m.maxContext = r.i64();
  m.prefillChunk = r.i64();
  m.tensorParallelDegree = r.i64();
  m.tensorParallelRank = r.i64();
  uint32_t count = r.u32();
  if (r.ok() && countFits(r, count, 8, "config entries"))
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      std::string key = r.str(kMaxName);
      std::string value = r.str(kMaxConfigValue);
      if (r.ok() && !m.config.emplace(key, value).second)
        r.fail("config key '" + key + "' appears twice");
    }
  uint64_t tokenizer = r.u64();
  if (r.ok() && tokenizer > kMaxTokenizer)
    r.fail("a tokenizer of " + std::to_string(tokenizer) + " bytes is absurd");
  if (const uint8_t *t = r.take(tokenizer))
    m.tokenizer.assign(t, t + tokenizer);
  return finish(r);
}

Status decodeTensors(const uint8_t *p, uint64_t n, uint32_t count,
                     std::vector<TensorInfo> &out) {
  ByteReader r(p, n, "tensor table");
  if (!countFits(r, count, 52, "tensors"))
    return Status::error(r.error());
  out.resize(count);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    TensorInfo &t = out[i];
    t.name = r.str(kMaxName);
    t.format = r.str(kMaxName);
    t.rotation = r.str(kMaxName);
    t.layout = r.str(kMaxName);
    t.signSeed = r.u64();
    t.shape = readDims(r, 0);
    t.offset = r.u64();
    t.size = r.u64();
    t.checksum = r.u64();
    if (!r.ok())
      return Status::error(r.error() + " (in " + entry("tensor", i, t.name) + ")");
  }
  return finish(r);
}

ParamBinding readParam(ByteReader &r) {
  ParamBinding p;
  uint8_t kind = r.u8(), type = r.u8();
  uint16_t reserved = r.u16();
  p.name = r.str(kMaxName);
  p.sizes = readDims(r, -1);
  if (!r.ok())
    return p;
  if (kind > uint8_t(ArgKind::Scalar))
    r.fail("parameter '" + p.name + "' has unknown kind " + std::to_string(kind));
  else if (type > uint8_t(ElementType::I64))
    r.fail("parameter '" + p.name + "' has unknown element type " +
           std::to_string(type));
  else if (reserved != 0)
    r.fail("parameter '" + p.name + "': reserved bytes are not zero");
  p.kind = ArgKind(kind);
  p.elementType = ElementType(type);
  return p;
}

Status decodeFunctions(const uint8_t *p, uint64_t n, uint32_t count,
                       std::vector<FunctionInfo> &out) {
  ByteReader r(p, n, "function table");
  if (!countFits(r, count, 44, "functions"))
    return Status::error(r.error());
  out.resize(count);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    FunctionInfo &f = out[i];
    f.name = r.str(kMaxName);
    f.target = r.str(kMaxName);
    f.entry = r.str(kMaxName);
    for (uint32_t &v : f.grid)
      v = r.u32();
    for (uint32_t &v : f.block)
      v = r.u32();
    f.sharedBytes = r.u32();
    uint32_t params = r.u32();
    if (r.ok() && (params > kMaxParams || !countFits(r, params, 12, "params")))
      r.fail(std::to_string(params) + " parameters is absurd");
    for (uint32_t k = 0; k < params && r.ok(); ++k)
      f.params.push_back(readParam(r));
    if (!r.ok())
      return Status::error(r.error() + " (in " + entry("function", i, f.name) +
                           ")");
  }
  return finish(r);
}

Status decodePlan(const uint8_t *p, uint64_t n, uint32_t count,
                  std::vector<PlanStep> &out) {
  ByteReader r(p, n, "plan");
  if (!countFits(r, count, 8, "steps"))
    return Status::error(r.error());
  out.resize(count);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    out[i].function = r.str(kMaxName);
    out[i].repeat = r.u32();
    if (r.ok() && (out[i].repeat < 1 || out[i].repeat > kMaxRepeat))
      r.fail("step " + std::to_string(i) + " repeats " +
             std::to_string(out[i].repeat) + " times (1 to " +
             std::to_string(kMaxRepeat) + " allowed)");
  }
  return finish(r);
}

Status decodeCode(const uint8_t *p, uint64_t n, uint32_t count,
                  std::vector<CodeObject> &out) {
  ByteReader r(p, n, "code table");
  if (!countFits(r, count, 36, "code objects"))
    return Status::error(r.error());
  out.resize(count);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    CodeObject &c = out[i];
    c.target = r.str(kMaxName);
    c.kind = r.str(kMaxName);
    c.arch = r.str(kMaxName);
    c.offset = r.u64();
    c.size = r.u64();
    c.checksum = r.u64();
  }
  return finish(r);
}

//===-- Data --------------------------------------------------------------===//

struct Blob {
  uint64_t offset, size;
  std::string what; // "tensor 'blk.0.w'"
};

/// Each blob lies inside the data region, aligned, and no two overlap.
Status checkBlobs(const Header &h, std::vector<Blob> blobs) {
  uint64_t begin = h.offset[Data], end = begin + h.size[Data];
  for (const Blob &b : blobs)
    if (b.offset < begin || b.offset > end || b.size > end - b.offset)
      return Status::error("corrupt bundle: " + b.what + " (offset " +
                           std::to_string(b.offset) + ", " +
                           std::to_string(b.size) +
                           " bytes) lies outside the data region");
  std::sort(blobs.begin(), blobs.end(),
            [](const Blob &a, const Blob &b) { return a.offset < b.offset; });
  for (size_t i = 1; i < blobs.size(); ++i)
    if (blobs[i].offset < blobs[i - 1].offset + blobs[i - 1].size)
      return Status::error("corrupt bundle: " + blobs[i - 1].what + " and " +
                           blobs[i].what + " overlap");
  return Status::success();
}

Status checkData(const uint8_t *data, const Header &h, Contents &c) {
  std::vector<Blob> blobs;
  for (const TensorInfo &t : c.tensors) {
    blobs.push_back({t.offset, t.size, "tensor '" + t.name + "'"});
    if (t.offset % kTensorAlign != 0)
      return Status::error("corrupt bundle: tensor '" + t.name + "' at offset " +
                           std::to_string(t.offset) + " is not " +
                           std::to_string(kTensorAlign) + "-byte aligned");
  }
  for (const CodeObject &o : c.code) {
    blobs.push_back({o.offset, o.size, "the " + o.target + " code object"});
    if (o.offset % kCodeAlign != 0)
      return Status::error("corrupt bundle: the " + o.target +
                           " code object is not page (4096-byte) aligned");
  }
  if (Status s = checkBlobs(h, std::move(blobs)); !s)
    return s;
  for (TensorInfo &t : c.tensors) {
    t.data = data + t.offset;
    uint64_t sum = checksum64(t.data, t.size);
    if (sum != t.checksum)
      return Status::error("corrupt bundle: tensor '" + t.name +
                           "' checksum mismatch (stored " + hex(t.checksum) +
                           ", computed " + hex(sum) + ")");
  }
  for (CodeObject &o : c.code) {
    o.data = data + o.offset;
    uint64_t sum = checksum64(o.data, o.size);
    if (sum != o.checksum)
      return Status::error("corrupt bundle: the " + o.target +
                           " code object's checksum mismatch (stored " +
                           hex(o.checksum) + ", computed " + hex(sum) + ")");
  }
  return Status::success();
}

Status decodeTables(const uint8_t *data, const Header &h, Contents &c) {
  auto at = [&](int r) { return data + h.offset[r]; };
  Status s = decodeMeta(at(Meta), h.size[Meta], c.meta);
  if (s)
    s = checkMeta(c.meta);
  if (s)
    s = decodeTensors(at(Tensors), h.size[Tensors], h.counts[0], c.tensors);
  if (s)
    s = decodeFunctions(at(Functions), h.size[Functions], h.counts[1],
                        c.functions);
  if (s)
    s = decodePlan(at(Plan), h.size[Plan], h.counts[2], c.plan);
  if (s)
    s = decodeCode(at(Code), h.size[Code], h.counts[3], c.code);
  return s;
}

} // namespace

Status checkMeta(const BundleMeta &m) {
  if (m.maxContext < 1 || m.prefillChunk < 1 || m.prefillChunk > m.maxContext)
    return Status::error("bundle meta: bad compile limits (max context " +
                         std::to_string(m.maxContext) + ", prefill chunk " +
                         std::to_string(m.prefillChunk) + ")");
  if (m.tensorParallelDegree < 1 || m.tensorParallelRank < 0 ||
      m.tensorParallelRank >= m.tensorParallelDegree)
    return Status::error(
        "bundle meta: bad tensor-parallel rank " +
        std::to_string(m.tensorParallelRank) + " of degree " +
        std::to_string(m.tensorParallelDegree));
  return Status::success();
}

Status decodeBundle(const uint8_t *data, uint64_t size, Contents &out) {
  Header h;
  if (Status s = checkHeader(data, size, h); !s)
    return s;
  if (Status s = checkRegions(h); !s)
    return s;
  uint64_t sum = tablesChecksum(data, h.offset[Data]);
  if (sum != h.checksum)
    return Status::error("corrupt bundle: the header and table checksum does "
                         "not match (stored " + hex(h.checksum) +
                         ", computed " + hex(sum) + ")");
  Contents c;
  if (Status s = decodeTables(data, h, c); !s)
    return s;
  if (Status s = checkData(data, h, c); !s)
    return s;
  if (Status s = checkReferences(c); !s)
    return s;
  out = std::move(c);
  return Status::success();
}

} // namespace itq3::rt::layout
