//===- Status.h - Error reporting without exceptions or LLVM ----*- C++ -*-===//
//
// lib/Format is shared by the compiler, the runtime and the tests and must not
// depend on MLIR or LLVM, so it reports errors through this small type.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_STATUS_H
#define ITQ3_FORMAT_STATUS_H

#include <string>
#include <utility>

namespace itq3::format {

/// Success, or an error with a message meant for the user.
class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return message_; }

private:
  Status() = default;
  explicit Status(std::string message)
      : message_(std::move(message)), failed_(true) {}

  std::string message_;
  bool failed_ = false;
};

} // namespace itq3::format

#endif // ITQ3_FORMAT_STATUS_H
