// Both rotation placements through the PTX pipeline; the PTX is checked for
// the instructions that make the design, then assembled by ptxas for every
// supported chip where the CUDA toolkit is installed.
//
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80" -o %t.sm_80.mlir
// RUN: %extract_ptx %t.sm_80.mlir %t.sm_80
// RUN: FileCheck %s --check-prefix=WEIGHT --input-file=%t.sm_80-0.ptx
// RUN: FileCheck %s --check-prefix=ACT --input-file=%t.sm_80-1.ptx
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_86" -o %t.sm_86.mlir
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_89" -o %t.sm_89.mlir
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90" -o %t.sm_90.mlir
// RUN: %extract_ptx %t.sm_86.mlir %t.sm_86
// RUN: %extract_ptx %t.sm_89.mlir %t.sm_89
// RUN: %extract_ptx %t.sm_90.mlir %t.sm_90
// RUN: FileCheck %s --check-prefix=TARGET90 --input-file=%t.sm_90-0.ptx
// Prefill tiles (16 activation rows) run the products on tensor cores.
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80 tile-m=16 tile-n=16" -o %t.mma.mlir
// RUN: %extract_ptx %t.mma.mlir %t.mma
// RUN: FileCheck %s --check-prefix=MMA-WEIGHT --input-file=%t.mma-0.ptx
// RUN: FileCheck %s --check-prefix=MMA-ACT --input-file=%t.mma-1.ptx

// Weight placement: the decoded tile (32 rows x 256 f32) staged in shared
// memory, a grid 4-tuple per thread step in one 16-byte store, then the 8
// butterfly stages of the inverse FWHT over it, each closed by a barrier,
// then the product.
// WEIGHT: .target sm_80
// WEIGHT-LABEL: .entry weight_rotation_kernel
// WEIGHT: .shared .align {{[0-9]+}} .b8 [[STAGE:[_a-zA-Z0-9]+]][32768]
// WEIGHT: st.shared.v4.b32
// WEIGHT: bar.sync 0
// WEIGHT-COUNT-8: sub.rn.f32
// WEIGHT: bar.sync 0
// WEIGHT: mul.rn.f32
// WEIGHT: fma.rn.f32
// Activation placement: int8 codes (the 4 codes of a grid 4-tuple in one
// 4-byte store) and per-32 scales in shared memory, dp4a on 4-byte words.
// ACT-LABEL: .entry activation_rotation_kernel
// ACT: .shared .align {{[0-9]+}} .b8 {{[_a-zA-Z0-9]+}}[8192]
// ACT: .shared .align {{[0-9]+}} .b8 {{[_a-zA-Z0-9]+}}[1024]
// ACT: st.shared.b32
// ACT: bar.sync 0
// ACT: ld.shared.v4.b32
// ACT: ld.global.b32
// ACT-COUNT-8: dp4a.s32.s32
// ACT: fma.rn.f32
// TARGET90: .target sm_90

// Weight placement on 16 x 16 tiles: the f32 stage, f16 copies of weights
// and activations, the f32 sums; butterflies over the f32 stage, rounding
// to f16, then m16n8k16 mma.sync with fragments read from shared memory:
// a0..a3 at (g, 2t), (g+8, 2t), (g, 2t+8), (g+8, 2t+8) of 256 f16 rows.
// MMA-WEIGHT-LABEL: .entry weight_rotation_kernel
// MMA-WEIGHT: .shared .align 16 .b8 {{[_a-zA-Z0-9]+}}[16384]
// MMA-WEIGHT: .shared .align 16 .b8 {{[_a-zA-Z0-9]+}}[8192]
// MMA-WEIGHT: .shared .align 16 .b8 {{[_a-zA-Z0-9]+}}[8192]
// MMA-WEIGHT: .shared .align 16 .b8 {{[_a-zA-Z0-9]+}}[1024]
// MMA-WEIGHT-COUNT-8: sub.rn.f32
// MMA-WEIGHT: cvt.rn.f16.f32
// MMA-WEIGHT: bar.sync 0
// MMA-WEIGHT: ld.shared.b32 %r{{[0-9]+}}, [[[A:%rd[0-9]+]]+-4112]
// MMA-WEIGHT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[A]]+-16]
// MMA-WEIGHT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[A]]+-4096]
// MMA-WEIGHT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[A]]]
// MMA-WEIGHT: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MMA-WEIGHT-NOT: dp4a
// Activation placement on 16 x 16 tiles: int8 codes and activations staged,
// one m16n8k32 mma.sync per group of 32 and 16x8 block with a zero
// accumulator; a0..a3 at (g, 4t), (g+8, 4t), (g, 4t+16), (g+8, 4t+16) of
// 256-byte rows, b0, b1 at (n+g, 4t), (n+g, 4t+16); the i32 results are
// stored as pairs, 8 rows of 16 apart.
// MMA-ACT-LABEL: .entry activation_rotation_kernel
// MMA-ACT: ld.shared.b32 %r{{[0-9]+}}, [[[A:%rd[0-9]+]]]
// MMA-ACT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[A]]+2048]
// MMA-ACT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[A]]+16]
// MMA-ACT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[A]]+2064]
// MMA-ACT: ld.shared.b32 %r{{[0-9]+}}, [[[B:%rd[0-9]+]]]
// MMA-ACT-NEXT: ld.shared.b32 %r{{[0-9]+}}, [[[B]]+16]
// MMA-ACT: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// MMA-ACT: st.shared.v2.b32 [[[D:%rd[0-9]+]]]
// MMA-ACT-NEXT: st.shared.v2.b32 [[[D]]+512]
// MMA-ACT: bar.sync 0
// MMA-ACT-NOT: dp4a

func.func @weight_rotation(%x: memref<?x512xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s, seed = 3> rotation<weight>
    : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
  return
}

func.func @activation_rotation(%x: memref<?x4096xi8>, %s: memref<?x128xf32>, %w: memref<4096x1760xi8>, %y: memref<?x4096xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<activation>
    : memref<?x4096xi8>, memref<4096x1760xi8>, memref<?x4096xf32>, memref<?x128xf32>
  return
}
