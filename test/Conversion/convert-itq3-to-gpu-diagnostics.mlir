// RUN: itq3-opt %s -itq3-tile="tile-m=16 tile-n=32" -itq3-stage-tiles="mma=true" -convert-itq3-to-gpu="block-size=48" -split-input-file -verify-diagnostics

// f16 blocks on a 16 x 32 tile of a rotated format: the f32 stage, both f16
// stages and the sums exceed the 48 KiB of static shared memory.
func.func @too_much_shared_memory(%x: memref<?x512xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>) {
  // expected-error @+1 {{the tile's stage buffers need 59392 bytes of shared memory, more than the 49152 a block gets without opting in; use smaller tiles}}
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight>
    : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
  return
}

// -----

// mma.sync needs whole warps; 48 threads are one and a half.
func.func @partial_warp(%x: memref<?x512xi8>, %s: memref<?x16xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>) {
  // expected-error @+1 {{a phase of warp-collective ops needs whole warps, but block-size is 48}}
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<activation>
    : memref<?x512xi8>, memref<64x220xi8>, memref<?x64xf32>, memref<?x16xf32>
  return
}
