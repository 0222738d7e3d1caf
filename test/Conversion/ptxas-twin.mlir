// REQUIRES: ptxas
// TwinQuant's fused kernel on the GPU: ONE kernel, t = x V^T kept in
// workgroup memory (the stage of 8 rows x rank 24 f32 = 768 bytes), the
// sums t U^T + x R^T in a second stage (8 x 32 f32 = 1024 bytes), and ONE
// global store, y's, in the epilogue: neither t nor a partial y goes to
// global memory. ptxas assembles it for every supported chip, the dp4a
// form and the mma.sync s8 form of 16x8 blocks.
//
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80" -o %t.80.mlir
// RUN: %extract_ptx %t.80.mlir %t.80
// RUN: FileCheck %s --input-file=%t.80-0.ptx
// RUN: grep -c '\.entry' %t.80-0.ptx | FileCheck %s --check-prefix=ONE
// RUN: grep -c 'st\.global' %t.80-0.ptx | FileCheck %s --check-prefix=ONE
// RUN: %ptxas -arch=sm_80 %t.80-0.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_86" -o %t.86.mlir
// RUN: %extract_ptx %t.86.mlir %t.86
// RUN: %ptxas -arch=sm_86 %t.86-0.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_89" -o %t.89.mlir
// RUN: %extract_ptx %t.89.mlir %t.89
// RUN: %ptxas -arch=sm_89 %t.89-0.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90" -o %t.90.mlir
// RUN: %extract_ptx %t.90.mlir %t.90
// RUN: %ptxas -arch=sm_90 %t.90-0.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90 tile-m=16 tile-n=32" -o %t.mma90.mlir
// RUN: %extract_ptx %t.mma90.mlir %t.mma90
// RUN: FileCheck %s --check-prefix=MMA --input-file=%t.mma90-0.ptx
// RUN: grep -c 'st\.global' %t.mma90-0.ptx | FileCheck %s --check-prefix=ONE
// RUN: %ptxas -arch=sm_90 %t.mma90-0.ptx -o /dev/null

// CHECK-LABEL: .visible .entry twin_kernel(
// CHECK-DAG: .shared .align 16 .b8 __wg_twin_kernel_{{[0-9]+}}[768]
// CHECK-DAG: .shared .align 16 .b8 __wg_twin_kernel_{{[0-9]+}}[1024]
// CHECK: dp4a.s32.s32
// ONE: {{^}}1{{$}}

// The 16-row tile: t's stage is 16 x 24 f32, the sums' 16 x 32.
// MMA-LABEL: .visible .entry twin_kernel(
// MMA-DAG: .shared .align 16 .b8 __wg_twin_kernel_{{[0-9]+}}[1536]
// MMA-DAG: .shared .align 16 .b8 __wg_twin_kernel_{{[0-9]+}}[2048]
// MMA-COUNT-2: mma.sync.aligned.m16n8k32.row.col{{.*}}.s8.s8.s32

func.func @twin(%x: memref<?x512xi8>, %s: memref<?x16xf32>, %r: memref<96x288xi8>, %ut: memref<24x102xi8>, %v: memref<24x544xi8>, %y: memref<?x96xf32>) {
  itq3.twin_matmul_into %x, %r, %ut, %v into %y scales %s format<q4> factors<q8> rotation<none>
    : memref<?x512xi8>, memref<96x288xi8>, memref<24x102xi8>, memref<24x544xi8>, memref<?x96xf32>, memref<?x16xf32>
  return
}
