//===- Version.cpp - The compiler version recorded in every bundle --------===//
//
// The one place the version lives: the writer stores it and the loader
// refuses any other, because compiled code and the runtime that calls it
// must agree on the calling convention. Bump it with any such change.
//
//===----------------------------------------------------------------------===//
#include "itq3/Runtime/Bundle.h"

namespace itq3::rt {

const char *compilerVersion() { return "itq3 0.1.0"; }

} // namespace itq3::rt
