//===- Bundle.cpp - Open, parse and query a bundle ------------------------===//
#include "itq3/Runtime/Bundle.h"

#include "BundleFormat.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace itq3::rt {

int64_t elementBytes(ElementType type) {
  switch (type) {
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::I8:
    return 1;
  case ElementType::I64:
    return 8;
  }
  return 0;
}

Status Bundle::parse(const uint8_t *data, uint64_t size,
                     std::unique_ptr<Bundle> &out) {
  out.reset();
  layout::Contents c;
  if (Status s = layout::decodeBundle(data, size, c); !s)
    return s;
  std::unique_ptr<Bundle> b(new Bundle());
  b->meta_ = std::move(c.meta);
  b->tensors_ = std::move(c.tensors);
  b->functions_ = std::move(c.functions);
  b->plan_ = std::move(c.plan);
  b->code_ = std::move(c.code);
  out = std::move(b);
  return Status::success();
}

Status Bundle::open(const std::string &path, std::unique_ptr<Bundle> &out) {
  out.reset();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + " is not a regular file");
  }
  uint64_t size = uint64_t(st.st_size);
  // mmap refuses a zero length; the empty file gets parse's message.
  void *map = nullptr;
  if (size > 0) {
    map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return Status::error("cannot map " + path + ": " + std::strerror(err));
    }
  }
  ::close(fd); // the mapping keeps the file
  Status s = parse(static_cast<const uint8_t *>(map), size, out);
  if (!s) {
    if (map)
      munmap(map, size);
    return Status::error(path + ": " + s.message());
  }
  out->mapping_ = map;
  out->mappingSize_ = size;
  return Status::success();
}

Bundle::~Bundle() {
  if (mapping_)
    munmap(mapping_, mappingSize_);
}

const TensorInfo *Bundle::findTensor(const std::string &name) const {
  for (const TensorInfo &t : tensors_)
    if (t.name == name)
      return &t;
  return nullptr;
}

const FunctionInfo *Bundle::findFunction(const std::string &name) const {
  for (const FunctionInfo &f : functions_)
    if (f.name == name)
      return &f;
  return nullptr;
}

const CodeObject *Bundle::findCode(const std::string &target) const {
  for (const CodeObject &c : code_)
    if (c.target == target)
      return &c;
  return nullptr;
}

// Config values are parsed strictly with from_chars (no locale, no leading
// space or '+', nothing after the number), so "12abc" or "1e3" for an
// integer is an error rather than a silently different value.
Status Bundle::configInt(const std::string &key, int64_t &out) const {
  auto it = meta_.config.find(key);
  if (it == meta_.config.end())
    return Status::error("the bundle's config has no '" + key + "'");
  const std::string &v = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size())
    return Status::error("the bundle's config '" + key + "' is \"" + v +
                         "\", not an integer");
  out = value;
  return Status::success();
}

} // namespace itq3::rt
