//===- CpuFeatures.h - Can this CPU run a bundle's code? --------*- C++ -*-===//
//
// A bundle's CPU code is compiled for one CPU (itq3-compile --cpu, default
// the compiling machine). Run on a CPU without an instruction set it uses,
// it would die on the first such instruction; the runtime checks first.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_CPUFEATURES_H
#define ITQ3_RUNTIME_CPUFEATURES_H

#include "itq3/Format/Status.h"

#include <string>

namespace itq3::rt {

using format::Status;

/// `features` is LLVM's feature string of the code ("+avx2,+fma,-sse4a,...").
/// Fails, naming what is missing, when an enabled vector or bit-manipulation
/// extension is not in this CPU's /proc/cpuinfo flags. Unknown or
/// unreadable flags (another OS) pass: the check can only refuse what it
/// knows to be missing.
Status checkCpuFeatures(const std::string &features);

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_CPUFEATURES_H
