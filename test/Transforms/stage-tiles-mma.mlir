// RUN: itq3-opt %s -itq3-tile="tile-m=16 tile-n=16" -itq3-stage-tiles="mma=true" -canonicalize -split-input-file | FileCheck %s

// int8 prefill tile (16 x 16): codes and activations staged (zero-filled once
// per tile), one itq3.mma per (group of 32, 16x8 block) into its own rows of
// an i32 stage, then each group's block result scaled by both scales.
// CHECK-LABEL: func @int8_blocks
// CHECK: scf.forall
// CHECK: %[[CODES:.*]] = memref.alloca() : memref<16x256xi8>
// CHECK: %[[X:.*]] = memref.alloca() : memref<16x256xi8>
// CHECK: memref.store %{{.*}}, %[[X]]
// CHECK: memref.store %{{.*}}, %[[CODES]]
// CHECK: %[[DOTS:.*]] = memref.alloca() : memref<128x16xi32>
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[CODES]]
// CHECK: memref.store %{{.*}}, %[[X]]
// CHECK: scf.parallel (%[[G:.*]], %[[BN:.*]]) = (%{{.*}}, %{{.*}}) to (%c8, %c2)
// CHECK: %[[N0:.*]] = arith.muli %[[BN]], %c8
// CHECK: %[[K0:.*]] = arith.muli %[[G]], %c32
// CHECK: %[[R0:.*]] = arith.muli %[[G]], %c16
// CHECK: itq3.mma %[[X]][%c0, %[[K0]]], %[[CODES]][%[[N0]], %[[K0]]] into %[[DOTS]][%[[R0]], %[[N0]]] length(32) :
// CHECK: scf.parallel
// CHECK: memref.load %[[DOTS]]
// CHECK: arith.sitofp
// CHECK-NOT: itq3.dot_i8
// CHECK-NOT: itq3.matmul_into
func.func @int8_blocks(%x: memref<?x512xi8>, %s: memref<?x16xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<activation>
    : memref<?x512xi8>, memref<64x220xi8>, memref<?x64xf32>, memref<?x16xf32>
  return
}

// -----

// Weight placement on f16 blocks: decode and FWHT in f32 as before,
// then weights and (signed, 1/16-scaled) activations rounded to f16, one
// accumulating itq3.mma over the chunk per 16x8 block, and the f32 sums
// copied to the result after the last chunk.
// CHECK-LABEL: func @f16_blocks
// CHECK: %[[SIXTEENTH:.*]] = arith.constant 6.250000e-02 : f32
// CHECK: scf.forall
// CHECK: %[[STAGE:.*]] = memref.alloca() : memref<16x256xf32>
// CHECK: %[[XH:.*]] = memref.alloca() : memref<16x256xf16>
// CHECK: %[[WH:.*]] = memref.alloca() : memref<16x256xf16>
// CHECK: %[[ACC:.*]] = memref.alloca() : memref<16x16xf32>
// CHECK: scf.for
// CHECK: itq3.stage_fwht %[[STAGE]]
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}}, %[[WH]]
// CHECK: arith.mulf %{{.*}}, %[[SIXTEENTH]]
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}}, %[[XH]]
// CHECK: itq3.mma %[[XH]][%c0, %c0], %[[WH]][%{{.*}}, %c0] into %[[ACC]][%c0, %{{.*}}] length(256) accumulate
// CHECK: }
// CHECK: scf.parallel
// CHECK: memref.load %[[ACC]]
// CHECK-NOT: itq3.matmul_into
func.func @f16_blocks(%x: memref<?x512xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s, seed = 3> rotation<weight>
    : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
  return
}

// -----

// Decode (M = 1) has no 16-row tile: the product stays on dot products.
// CHECK-LABEL: func @decode_keeps_dots
// CHECK: itq3.dot_i8
// CHECK-NOT: itq3.mma
func.func @decode_keeps_dots(%x: memref<1x512xi8>, %s: memref<1x16xf32>, %w: memref<64x220xi8>, %y: memref<1x64xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<activation>
    : memref<1x512xi8>, memref<64x220xi8>, memref<1x64xf32>, memref<1x16xf32>
  return
}
