// RUN: itq3-opt %s -itq3-fuse-inverse-fwht -canonicalize -split-input-file | FileCheck %s

// The FWHT of the first %n staged rows: 8 butterfly stages of strides 1, 2,
// ..., 128, each a phase over (row, 128 pairs) that writes u + v and u - v
// back into the stage.
// CHECK-LABEL: func @staged_rows
// CHECK-SAME: (%[[STAGE:.*]]: memref<32x256xf32>, %[[N:.*]]: index)
// CHECK: scf.parallel (%[[ROW:.*]], %[[PAIR:.*]]) = (%c0, %c0) to (%[[N]], %c128) step (%c1, %c1)
// CHECK: %[[U:.*]] = memref.load %[[STAGE]][%[[ROW]], %[[LO:.*]]] : memref<32x256xf32>
// CHECK: %[[V:.*]] = memref.load %[[STAGE]][%[[ROW]], %[[HI:.*]]] : memref<32x256xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[U]], %[[V]] : f32
// CHECK: memref.store %[[SUM]], %[[STAGE]][%[[ROW]], %[[LO]]]
// CHECK: %[[DIFF:.*]] = arith.subf %[[U]], %[[V]] : f32
// CHECK: memref.store %[[DIFF]], %[[STAGE]][%[[ROW]], %[[HI]]]
// CHECK-COUNT-7: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%[[N]], %c128)
// CHECK-NOT: scf.parallel
// CHECK-NOT: itq3.stage_fwht
func.func @staged_rows(%stage: memref<32x256xf32>, %n: index) {
  itq3.stage_fwht %stage rows(%n) : memref<32x256xf32>
  return
}

// -----

// Rows of 64 (itq3_s64): 6 stages over 32 pairs.
// CHECK-LABEL: func @staged_rows_of_64
// CHECK-SAME: (%[[STAGE:.*]]: memref<8x64xf32>, %[[N:.*]]: index)
// CHECK-COUNT-6: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%[[N]], %c32)
// CHECK-NOT: scf.parallel
func.func @staged_rows_of_64(%stage: memref<8x64xf32>, %n: index) {
  itq3.stage_fwht %stage rows(%n) : memref<8x64xf32>
  return
}
