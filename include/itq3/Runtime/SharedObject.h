//===- SharedObject.h - Load a shared object from memory --------*- C++ -*-===//
//
// The CPU code of a bundle is an ELF shared object stored inside the bundle.
// It is loaded without writing a file anyone else can see: the bytes go to
// an anonymous memfd and dlopen opens /proc/self/fd/N. No LLVM is involved.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_SHAREDOBJECT_H
#define ITQ3_RUNTIME_SHAREDOBJECT_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace itq3::rt {

using format::Status;

class SharedObject {
public:
  /// Loads `size` bytes of an ELF shared object; checks the ELF header
  /// (class, machine) first so a foreign object is a message, not a
  /// dlopen crash.
  static Status load(const uint8_t *bytes, uint64_t size,
                     std::unique_ptr<SharedObject> &out);
  ~SharedObject();
  /// The address of `name`, or null.
  void *symbol(const std::string &name) const;

private:
  SharedObject() = default;
  void *handle_ = nullptr;
  int fd_ = -1;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_SHAREDOBJECT_H
