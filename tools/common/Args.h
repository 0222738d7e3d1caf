//===- Args.h - Command-line errors and number parsing of the tools -*- C++ -*-===//
#ifndef ITQ3_TOOLS_COMMON_ARGS_H
#define ITQ3_TOOLS_COMMON_ARGS_H

#include <cstdint>
#include <string>

namespace itq3 {

/// The name fail() prints ("itq3-run"); set once by main().
void setToolName(const char *name);

/// Prints "<tool>: error: <msg>" to stderr and exits with status 1.
[[noreturn]] void fail(const std::string &msg);

/// A non-negative integer, or fail() naming `flag`.
int64_t parseInt(const std::string &flag, const std::string &v);

/// The whole file, or fail() naming it.
std::string readFileOrFail(const std::string &path);

/// A number in [lo, hi], or fail() naming `flag`.
float parseFloat(const std::string &flag, const std::string &v, float lo,
                 float hi);

} // namespace itq3

#endif // ITQ3_TOOLS_COMMON_ARGS_H
