//===- Fragments.cpp - mma.sync operand layouts from the PTX ISA ----------===//
//
// Each function transcribes one table of the PTX ISA (9.7.14.5, "Matrix
// Fragments for mma.m16n8k16 with floating point type" and "... for
// mma.m16n8k32"): row and col of element a_i / b_i / c_i of a lane.
//
//===----------------------------------------------------------------------===//
#include "Fragments.h"

using namespace mlir::itq3::emulation;

namespace {

/// m16n8k32 .s8, A (16 x 32): a0..a15 in four .b32 registers.
/// row = groupID for a_i with i < 4 or 8 <= i < 12, groupID + 8 otherwise;
/// col = threadID_in_group * 4 + (i & 3), plus 16 for i >= 8.
ElementPlace s8A(int64_t i) {
  bool upper = i < 4 || (i >= 8 && i < 12);
  return {{1, 0, upper ? 0 : 8}, {0, 4, (i & 3) + (i >= 8 ? 16 : 0)}};
}

/// m16n8k32 .s8, B (32 x 8): b0..b7 in two .b32 registers.
/// row = threadID_in_group * 4 + (i & 3), plus 16 for i >= 4; col = groupID.
ElementPlace s8B(int64_t i) {
  return {{0, 4, (i & 3) + (i >= 4 ? 16 : 0)}, {1, 0, 0}};
}

/// m16n8k16 .f16, A (16 x 16): a0..a7 in four .f16x2 registers.
/// row = groupID for a_i with i < 2 or 4 <= i < 6, groupID + 8 otherwise;
/// col = threadID_in_group * 2 + (i & 1), plus 8 for i >= 4.
ElementPlace f16A(int64_t i) {
  bool upper = i < 2 || (i >= 4 && i < 6);
  return {{1, 0, upper ? 0 : 8}, {0, 2, (i & 1) + (i >= 4 ? 8 : 0)}};
}

/// m16n8k16 .f16, B (16 x 8): b0..b3 in two .f16x2 registers.
/// row = threadID_in_group * 2 + (i & 1), plus 8 for i >= 2; col = groupID.
ElementPlace f16B(int64_t i) {
  return {{0, 2, (i & 1) + (i >= 2 ? 8 : 0)}, {1, 0, 0}};
}

/// C and D (16 x 8) of both shapes, .s32 or .f32: c0..c3.
/// row = groupID for c_i with i < 2, groupID + 8 otherwise;
/// col = threadID_in_group * 2 + (i & 1).
ElementPlace accumulator(int64_t i) {
  return {{1, 0, i < 2 ? 0 : 8}, {0, 2, i & 1}};
}

} // namespace

MmaLayouts mlir::itq3::emulation::mmaLayouts(MmaKind kind) {
  // nvgpu.mma.sync takes the accumulator as vector<2x2>: c0, c1 then c2, c3.
  FragmentLayout c{16, 8, 2, 2, accumulator};
  if (kind == MmaKind::S8S32)
    return {{16, 32, 4, 4, s8A}, {32, 8, 2, 4, s8B}, c};
  return {{16, 16, 4, 2, f16A}, {16, 8, 2, 2, f16B}, c};
}
