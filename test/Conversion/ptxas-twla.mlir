// REQUIRES: ptxas
// ptxas (CUDA toolkit) assembles the twla kernels for every supported chip:
// int8 activations (the ternary groups decoded to int8 codes c_mu +
// c_alpha t, then dp4a), f32 activations, and the 16x8 tensor-core tiles
// (mma.sync m16n8k32 s8 and m16n8k16 f16). K = 576 is nine groups of 64
// (chunks of one group); N = 99 leaves an edge tile. The third kernel is
// the activation quantizer: Kronecker rotation and 4-bit codes per row.
//
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80" -o %t.80.mlir
// RUN: %extract_ptx %t.80.mlir %t.80
// RUN: %ptxas -arch=sm_80 %t.80-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.80-1.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.80-2.ptx -o /dev/null
// RUN: grep -c dp4a.s32.s32 %t.80-0.ptx
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_86" -o %t.86.mlir
// RUN: %extract_ptx %t.86.mlir %t.86
// RUN: %ptxas -arch=sm_86 %t.86-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_86 %t.86-1.ptx -o /dev/null
// RUN: %ptxas -arch=sm_86 %t.86-2.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_89" -o %t.89.mlir
// RUN: %extract_ptx %t.89.mlir %t.89
// RUN: %ptxas -arch=sm_89 %t.89-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_89 %t.89-1.ptx -o /dev/null
// RUN: %ptxas -arch=sm_89 %t.89-2.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90" -o %t.90.mlir
// RUN: %extract_ptx %t.90.mlir %t.90
// RUN: %ptxas -arch=sm_90 %t.90-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.90-1.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.90-2.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80 tile-m=16 tile-n=16" -o %t.mma80.mlir
// RUN: %extract_ptx %t.mma80.mlir %t.mma80
// RUN: %ptxas -arch=sm_80 %t.mma80-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.mma80-1.ptx -o /dev/null
// RUN: grep -l mma.sync.aligned.m16n8k32 %t.mma80-0.ptx %t.mma80-1.ptx | count 1
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90 tile-m=16 tile-n=16" -o %t.mma90.mlir
// RUN: %extract_ptx %t.mma90.mlir %t.mma90
// RUN: %ptxas -arch=sm_90 %t.mma90-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.mma90-1.ptx -o /dev/null

func.func @twla_int8(%x: memref<?x576xi8>, %s: memref<?x18xf32>, %w: memref<99x153xi8>, %y: memref<?x99xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<twla> rotation<none>
    : memref<?x576xi8>, memref<99x153xi8>, memref<?x99xf32>, memref<?x18xf32>
  return
}

func.func @twla_f32(%x: memref<?x576xf32>, %w: memref<99x153xi8>, %y: memref<?x99xf32>) {
  itq3.matmul_into %x, %w into %y format<twla> rotation<none>
    : memref<?x576xf32>, memref<99x153xi8>, memref<?x99xf32>
  return
}

func.func @twla_quantize_act(%x: memref<?x576xf32>, %q: memref<?x576xi8>, %s: memref<?x18xf32>, %c: memref<32x32xf32>, %b: memref<18x18xf32>) {
  itq3.quantize_act_into %x into %q, %s kron(%c, %b) bits(4) clip(0.85)
    : memref<?x576xf32>, memref<?x576xi8>, memref<?x18xf32>, memref<32x32xf32>, memref<18x18xf32>
  return
}
