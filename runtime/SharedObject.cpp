//===- SharedObject.cpp - dlopen an ELF shared object from memory ---------===//
//
// The bytes go to an anonymous memfd (no file anyone can see or race on),
// and dlopen opens it by its /proc/self/fd path. The fd stays open while
// the object is loaded so the path cannot name another file meanwhile.
//
//===----------------------------------------------------------------------===//
#include "itq3/Runtime/SharedObject.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

namespace itq3::rt {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
constexpr const char *kHostName = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
constexpr const char *kHostName = "AArch64";
#else
#error "SharedObject: add this host's ELF machine"
#endif

uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// dlopen maps each segment from the file: one that runs past the end of a
/// truncated object would be mapped anyway and fault (SIGBUS) on first
/// touch, so every segment's file range must lie inside the bytes.
Status checkSegments(const uint8_t *b, uint64_t size, uint64_t phoff,
                     uint64_t phnum, uint64_t phentsize) {
  for (uint64_t i = 0; i < phnum; ++i) {
    const uint8_t *ph = b + phoff + i * phentsize;
    uint64_t offset = le(ph + offsetof(Elf64_Phdr, p_offset), 8);
    uint64_t filesz = le(ph + offsetof(Elf64_Phdr, p_filesz), 8);
    if (offset > size || filesz > size - offset)
      return Status::error("the CPU code is truncated: segment " +
                           std::to_string(i) + " (" + std::to_string(filesz) +
                           " bytes at offset " + std::to_string(offset) +
                           ") runs past the end of the " +
                           std::to_string(size) + "-byte object");
  }
  return Status::success();
}

/// dlopen on a foreign or damaged object can fail obscurely; these checks
/// name the problem first.
Status checkElfHeader(const uint8_t *b, uint64_t size) {
  if (size < 4 || std::memcmp(b, ELFMAG, SELFMAG) != 0)
    return Status::error("the CPU code is not an ELF file (no \\x7fELF magic)");
  if (size < sizeof(Elf64_Ehdr))
    return Status::error("the CPU code is truncated: " + std::to_string(size) +
                         " bytes, less than the 64-byte ELF header");
  if (b[EI_CLASS] != ELFCLASS64)
    return Status::error("the CPU code is not a 64-bit ELF object");
  if (b[EI_DATA] != ELFDATA2LSB)
    return Status::error("the CPU code is not little-endian");
  uint16_t type = uint16_t(le(b + offsetof(Elf64_Ehdr, e_type), 2));
  if (type != ET_DYN)
    return Status::error("the CPU code is an ELF object of type " +
                         std::to_string(type) +
                         ", not a shared object (ET_DYN)");
  uint16_t machine = uint16_t(le(b + offsetof(Elf64_Ehdr, e_machine), 2));
  if (machine != kHostMachine)
    return Status::error("the CPU code is for ELF machine " +
                         std::to_string(machine) + ", this host is " +
                         kHostName + " (" + std::to_string(kHostMachine) +
                         "): recompile for this machine");
  uint64_t phoff = le(b + offsetof(Elf64_Ehdr, e_phoff), 8);
  uint64_t phnum = le(b + offsetof(Elf64_Ehdr, e_phnum), 2);
  uint64_t phentsize = le(b + offsetof(Elf64_Ehdr, e_phentsize), 2);
  if (phentsize < sizeof(Elf64_Phdr) || phoff > size ||
      phnum * phentsize > size - phoff)
    return Status::error("the CPU code is truncated: its program headers run "
                         "past the end of the object");
  return checkSegments(b, size, phoff, phnum, phentsize);
}

bool writeAll(int fd, const uint8_t *p, uint64_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= uint64_t(w);
  }
  return true;
}

} // namespace

Status SharedObject::load(const uint8_t *bytes, uint64_t size,
                          std::unique_ptr<SharedObject> &out) {
  out.reset();
  if (Status s = checkElfHeader(bytes, size); !s)
    return s;
  int fd = memfd_create("itq3-cpu-code", MFD_CLOEXEC);
  if (fd < 0)
    return Status::error(std::string("memfd_create failed: ") +
                         std::strerror(errno));
  if (!writeAll(fd, bytes, size)) {
    int err = errno;
    ::close(fd);
    return Status::error(std::string("cannot write the CPU code to a memfd: ") +
                         std::strerror(err));
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  dlerror(); // clear any earlier message
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    ::close(fd);
    return Status::error(std::string("cannot load the CPU code: ") +
                         (why ? why : "dlopen failed"));
  }
  std::unique_ptr<SharedObject> so(new SharedObject());
  so->handle_ = handle;
  so->fd_ = fd;
  out = std::move(so);
  return Status::success();
}

SharedObject::~SharedObject() {
  if (handle_)
    dlclose(handle_);
  if (fd_ >= 0)
    ::close(fd_);
}

void *SharedObject::symbol(const std::string &name) const {
  return handle_ ? dlsym(handle_, name.c_str()) : nullptr;
}

} // namespace itq3::rt
