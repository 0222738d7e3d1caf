//===- BundleWriter.cpp - Lay out and write a bundle ----------------------===//
//
// The tables have fixed-width fields, so their sizes do not depend on the
// offsets stored in them: the writer encodes once to learn where the data
// region starts, places every blob, and encodes the tensor and code tables
// again with the real offsets. The data is streamed from the writer's own
// buffers, so writing a large model needs no second copy of it.
//
//===----------------------------------------------------------------------===//
#include "BundleFormat.h"

#include "itq3/Runtime/Checksum.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

namespace itq3::rt {

using namespace layout;

namespace {

uint64_t alignUp(uint64_t v, uint64_t align) {
  return (v + align - 1) / align * align;
}

/// Where everything goes: the header and tables as bytes, and for each blob
/// its offset (in `contents`) and its bytes (pointers into the writer).
struct Image {
  Contents contents;
  std::vector<uint8_t> headerAndTables;
  std::vector<const std::vector<uint8_t> *> blobBytes; // tensors, then code
  uint64_t fileSize = 0;
};

using Sink = std::function<bool(const uint8_t *, uint64_t)>;

/// Places blobs after the tables and fills in the header.
void layOut(Image &im) {
  Contents &c = im.contents;
  std::vector<uint8_t> regions[5] = {
      encodeMeta(c.meta), encodeTensors(c.tensors), encodeFunctions(c.functions),
      encodePlan(c.plan), encodeCode(c.code)};
  Header h;
  h.version = kBundleFormatVersion;
  h.headerSize = kHeaderSize;
  h.counts[0] = uint32_t(c.tensors.size());
  h.counts[1] = uint32_t(c.functions.size());
  h.counts[2] = uint32_t(c.plan.size());
  h.counts[3] = uint32_t(c.code.size());
  uint64_t at = kHeaderSize;
  for (int r = 0; r < Data; ++r) {
    h.offset[r] = at;
    h.size[r] = regions[r].size();
    at += regions[r].size();
  }
  h.offset[Data] = at;
  for (TensorInfo &t : c.tensors) {
    t.offset = alignUp(at, kTensorAlign);
    at = t.offset + t.size;
  }
  for (CodeObject &o : c.code) {
    o.offset = alignUp(at, kCodeAlign);
    at = o.offset + o.size;
  }
  h.size[Data] = at - h.offset[Data];
  h.fileSize = im.fileSize = at;
  regions[Tensors] = encodeTensors(c.tensors);
  regions[Code] = encodeCode(c.code);

  std::vector<uint8_t> &out = im.headerAndTables;
  out.assign(kHeaderSize, 0);
  for (const auto &region : regions)
    out.insert(out.end(), region.begin(), region.end());
  encodeHeader(h, out.data());
  h.checksum = tablesChecksum(out.data(), out.size());
  encodeHeader(h, out.data());
}

/// Header and tables, then each blob after zero padding to its offset.
bool emit(const Image &im, const Sink &sink) {
  static const uint8_t zeros[kCodeAlign] = {};
  if (!sink(im.headerAndTables.data(), im.headerAndTables.size()))
    return false;
  uint64_t at = im.headerAndTables.size();
  std::vector<uint64_t> offsets;
  for (const TensorInfo &t : im.contents.tensors)
    offsets.push_back(t.offset);
  for (const CodeObject &o : im.contents.code)
    offsets.push_back(o.offset);
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (!sink(zeros, offsets[i] - at))
      return false;
    const std::vector<uint8_t> &bytes = *im.blobBytes[i];
    if (!sink(bytes.data(), bytes.size()))
      return false;
    at = offsets[i] + bytes.size();
  }
  return true;
}

} // namespace

void BundleWriter::addTensor(TensorInfo info, std::vector<uint8_t> bytes) {
  tensors_.emplace_back(std::move(info), std::move(bytes));
}
void BundleWriter::addFunction(FunctionInfo function) {
  functions_.push_back(std::move(function));
}
void BundleWriter::addPlanStep(PlanStep step) { plan_.push_back(std::move(step)); }
void BundleWriter::addCode(CodeObject code) { code_.push_back(std::move(code)); }

/// Builds the image; `image` points into this writer's buffers.
static Status buildImage(const BundleMeta &meta,
                         const std::vector<std::pair<TensorInfo, std::vector<uint8_t>>> &tensors,
                         const std::vector<FunctionInfo> &functions,
                         const std::vector<PlanStep> &plan,
                         const std::vector<CodeObject> &code, Image &im) {
  Contents &c = im.contents;
  c.meta = meta;
  c.meta.compilerVersion = compilerVersion();
  for (const auto &[info, bytes] : tensors) {
    TensorInfo t = info;
    t.size = bytes.size();
    t.checksum = checksum64(bytes.data(), bytes.size());
    t.data = nullptr;
    c.tensors.push_back(std::move(t));
    im.blobBytes.push_back(&bytes);
  }
  c.functions = functions;
  c.plan = plan;
  for (const CodeObject &o : code) {
    CodeObject entry;
    entry.target = o.target;
    entry.kind = o.kind;
    entry.arch = o.arch;
    entry.size = o.bytes.size();
    entry.checksum = checksum64(o.bytes.data(), o.bytes.size());
    c.code.push_back(std::move(entry));
    im.blobBytes.push_back(&o.bytes);
  }
  // Counts and lengths are stored as u32: refuse what would wrap.
  for (size_t n : {c.tensors.size(), c.functions.size(), c.plan.size(),
                   c.code.size(), c.meta.config.size()})
    if (n > UINT32_MAX)
      return Status::error("bundle: too many entries in one table");
  if (Status s = checkLimits(c); !s)
    return Status::error("cannot encode the bundle: " + s.message());
  layOut(im);
  return Status::success();
}

Status BundleWriter::serialize(std::vector<uint8_t> &out) const {
  Image im;
  if (Status s = buildImage(meta, tensors_, functions_, plan_, code_, im); !s)
    return s;
  out.clear();
  out.reserve(im.fileSize);
  emit(im, [&](const uint8_t *p, uint64_t n) {
    out.insert(out.end(), p, p + n);
    return true;
  });
  return Status::success();
}

Status BundleWriter::write(const std::string &path) const {
  Image im;
  if (Status s = buildImage(meta, tensors_, functions_, plan_, code_, im); !s)
    return s;
  if (Status s = checkReferences(im.contents); !s)
    return Status::error("refusing to write " + path + ": " + s.message());
  std::string tmp = path + ".tmp";
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    return Status::error("cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = emit(im, [&](const uint8_t *p, uint64_t n) {
    return n == 0 || std::fwrite(p, 1, n, f) == n;
  });
  int err = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    return Status::error("cannot write " + path + ": " + std::strerror(err));
  }
  return Status::success();
}

} // namespace itq3::rt
