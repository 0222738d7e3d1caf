// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles -canonicalize -split-input-file | FileCheck %s
// RUN: itq3-opt %s -itq3-tile="tile-n=48" -itq3-stage-tiles -canonicalize -split-input-file | FileCheck %s --check-prefix=EDGE

// Weight placement of a seeded itq3_s tile: decode the 256-chunk into a
// [32 x 256] f32 stage (scales applied), the FWHT of the staged rows in place,
// then the product with the signs and 1/16 folded onto the activations.
// CHECK-DAG: memref.global "private" constant @__itq3_grid : memref<2048xi8>
// CHECK-DAG: memref.global "private" constant @__itq3_signs_3_512 : memref<512xf32>
// CHECK-LABEL: func @weight_rotation
// CHECK: %[[SIXTEENTH:.*]] = arith.constant 6.250000e-02 : f32
// CHECK: scf.forall
// CHECK: memref.get_global @__itq3_grid
// CHECK: %[[STAGE:.*]] = memref.alloca() : memref<32x256xf32>
// CHECK: scf.for
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[STAGE]]
// CHECK: itq3.stage_fwht %[[STAGE]] rows(%{{.*}}) : memref<32x256xf32>
// CHECK: memref.get_global @__itq3_signs_3_512
// CHECK: scf.parallel
// CHECK: arith.mulf %{{.*}}, %[[SIXTEENTH]]
// CHECK-NOT: itq3.matmul_into
func.func @weight_rotation(%x: memref<1x512xf32>, %w: memref<64x220xi8>, %y: memref<1x64xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s, seed = 3> rotation<weight>
    : memref<1x512xf32>, memref<64x220xi8>, memref<1x64xf32>
  return
}

// -----

// The int8 path stages codes and per-32 scales; no butterflies, and the
// product is an integer dot per 32 scaled by both scales.
// CHECK-LABEL: func @activation_rotation
// CHECK-DAG: memref.alloca() : memref<32x256xi8>
// CHECK-DAG: memref.alloca() : memref<32x8xf32>
// CHECK-NOT: itq3.stage_fwht
// CHECK: arith.muli %{{.*}} : i32
// CHECK: arith.sitofp
// CHECK-NOT: itq3.matmul_into
func.func @activation_rotation(%x: memref<?x256xi8>, %s: memref<?x8xf32>, %w: memref<64x110xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<activation>
    : memref<?x256xi8>, memref<64x110xi8>, memref<?x64xf32>, memref<?x8xf32>
  return
}

// -----

// Edge tiles are clamped, yet the stage keeps its static bound (48 rows);
// q4 with K = 96 decodes all 96 columns at once (the largest multiple of 32
// that divides K).
// EDGE-LABEL: func @edge_tiles
// EDGE: arith.minsi
// EDGE: memref.alloca() : memref<48x96xf32>
func.func @edge_tiles(%x: memref<?x96xf32>, %w: memref<100x54xi8>, %y: memref<?x100xf32>) {
  itq3.matmul_into %x, %w into %y format<q4> rotation<none>
    : memref<?x96xf32>, memref<100x54xi8>, memref<?x100xf32>
  return
}

// -----

// Activations: one tile per (row, 256-block); stage the block times the
// seeded signs, its FWHT in place, then per 32 the scale (a division by 127)
// and the rounded int8 values.
// CHECK-LABEL: func @quantize_activations
// CHECK-SAME: (%[[X:.*]]: memref<?x512xf32>, %[[Q:.*]]: memref<?x512xi8>, %[[S:.*]]: memref<?x16xf32>)
// CHECK: memref.get_global @__itq3_signs_7_512
// CHECK: scf.forall (%[[ROW:.*]], %{{.*}}) in (%{{.*}}, 2)
// CHECK: %[[STAGE:.*]] = memref.alloca() : memref<1x256xf32>
// CHECK: memref.store %{{.*}}, %[[STAGE]]
// CHECK: itq3.stage_fwht %[[STAGE]] rows(%{{.*}}) : memref<1x256xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %{{.*}}, %[[S]][%[[ROW]], %{{.*}}] : memref<?x16xf32>
// CHECK: memref.store %{{.*}}, %[[Q]][%[[ROW]], %{{.*}}] : memref<?x512xi8>
func.func @quantize_activations(%x: memref<?x512xf32>, %q: memref<?x512xi8>, %s: memref<?x16xf32>) {
  itq3.quantize_act_into %x into %q, %s rotate signs(7) : memref<?x512xf32>, memref<?x512xi8>, memref<?x16xf32>
  return
}

// -----

// TWLA's quantizer: one tile per row (the rotation mixes all of it). Stage
// the row, T = X B^T into a second stage and C T back into the first (two
// phases of sums from 0), then one thread per row: min and max, the zero
// point rounded to even (+- 1.5 * 2^23) within [15 - 127, 127], the row's
// scale into every group, and the codes q - z.
// CHECK-LABEL: func @quantize_activations_twla
// CHECK-SAME: (%[[X:.*]]: memref<?x576xf32>, %[[Q:.*]]: memref<?x576xi8>, %[[S:.*]]: memref<?x18xf32>, %[[C:.*]]: memref<32x32xf32>, %[[B:.*]]: memref<18x18xf32>)
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant 0x4B400000 : f32
// CHECK: scf.forall (%[[ROW:.*]], %{{.*}}) in (%{{.*}}, 1)
// CHECK: %[[STAGE:.*]] = memref.alloca() : memref<1x576xf32>
// CHECK: %[[T:.*]] = memref.alloca() : memref<1x576xf32>
// CHECK: scf.parallel
// CHECK: memref.load %[[B]]
// CHECK: memref.store %{{.*}}, %[[T]]
// CHECK: scf.parallel
// CHECK: memref.load %[[C]]
// CHECK: memref.store %{{.*}}, %[[STAGE]]
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: %[[SHIFTED:.*]] = arith.addf %{{.*}}, %[[MAGIC]] : f32
// CHECK: arith.subf %[[SHIFTED]], %[[MAGIC]] : f32
// CHECK: memref.store %{{.*}}, %[[S]][%[[ROW]], %{{.*}}] : memref<?x18xf32>
// CHECK: memref.store %{{.*}}, %[[Q]][%[[ROW]], %{{.*}}] : memref<?x576xi8>
func.func @quantize_activations_twla(%x: memref<?x576xf32>, %q: memref<?x576xi8>, %s: memref<?x18xf32>, %c: memref<32x32xf32>, %b: memref<18x18xf32>) {
  itq3.quantize_act_into %x into %q, %s kron(%c, %b) bits(4) clip(0.85) : memref<?x576xf32>, memref<?x576xi8>, memref<?x18xf32>, memref<32x32xf32>, memref<18x18xf32>
  return
}
