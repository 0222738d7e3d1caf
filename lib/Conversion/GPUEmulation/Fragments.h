//===- Fragments.h - mma.sync operand layouts from the PTX ISA --*- C++ -*-===//
//
// Which element of the warp's matrix each lane holds in each register, as
// the PTX ISA's "Matrix Fragments for mma.m16n8k*" sections give it.
// Written from the ISA's description, independently of the code that loads
// fragments (--convert-itq3-to-nvvm takes upstream's nvgpu tables), so the
// emulation checks that code instead of repeating it.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_CONVERSION_GPUEMULATION_FRAGMENTS_H
#define ITQ3_LIB_CONVERSION_GPUEMULATION_FRAGMENTS_H

#include <cstdint>
#include <optional>

namespace mlir::itq3::emulation {

/// coordinate = groupID * group + threadID_in_group * thread + offset, where
/// groupID = lane / 4 and threadID_in_group = lane % 4 (the ISA's terms).
struct Coefficients {
  int64_t group = 0, thread = 0, offset = 0;
};

struct ElementPlace {
  Coefficients row, col;
};

/// One operand: the warp's rows x cols matrix, spread over each lane's
/// registers of `perRegister` consecutive elements; element i of a lane is
/// position i % perRegister of register i / perRegister.
struct FragmentLayout {
  int64_t rows = 0, cols = 0;
  int64_t registers = 0, perRegister = 0;
  ElementPlace (*place)(int64_t element) = nullptr;

  int64_t elements() const { return registers * perRegister; }
};

enum class MmaKind {
  S8S32,  // mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
  F16F32, // mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
};

struct MmaLayouts {
  FragmentLayout a, b, c;
};

MmaLayouts mmaLayouts(MmaKind kind);

} // namespace mlir::itq3::emulation

#endif // ITQ3_LIB_CONVERSION_GPUEMULATION_FRAGMENTS_H
