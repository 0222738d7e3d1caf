// RUN: itq3-opt %s -itq3-tile -split-input-file | FileCheck %s
// RUN: itq3-opt %s -itq3-tile="tile-m=16 tile-n=48" -split-input-file | FileCheck %s --check-prefix=ODD
// RUN: itq3-opt %s -itq3-tile -canonicalize -split-input-file | FileCheck %s --check-prefix=ONE

// Decode shape: M = 1 gives one tile row; N = 64 splits into two full tiles
// of 32, so every subview keeps a static shape.
// CHECK-LABEL: func @decode
// CHECK-SAME: (%[[X:.*]]: memref<1x512xf32>, %[[W:.*]]: memref<64x220xi8>, %[[Y:.*]]: memref<1x64xf32>)
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) in (1, 2) {
// CHECK-DAG: %[[M0:.*]] = arith.muli %[[I]], %c1
// CHECK-DAG: %[[N0:.*]] = arith.muli %[[J]], %c32
// CHECK: %[[XS:.*]] = memref.subview %[[X]][%[[M0]], 0] [1, 512] [1, 1]
// CHECK: %[[WS:.*]] = memref.subview %[[W]][%[[N0]], 0] [32, 220] [1, 1]
// CHECK: %[[YS:.*]] = memref.subview %[[Y]][%[[M0]], %[[N0]]] [1, 32] [1, 1]
// CHECK: itq3.matmul_into %[[XS]], %[[WS]] into %[[YS]] format<itq3_s> rotation<weight>
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK-NOT: itq3.matmul_into
func.func @decode(%x: memref<1x512xf32>, %w: memref<64x220xi8>, %y: memref<1x64xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight>
    : memref<1x512xf32>, memref<64x220xi8>, memref<1x64xf32>
  return
}

// -----

// Dynamic M and an N that does not divide: edge tiles are clamped.
// CHECK-LABEL: func @prefill
// CHECK: scf.forall
// ODD-LABEL: func @prefill
// ODD-SAME: (%[[X:.*]]: memref<?x256xi8>, %[[S:.*]]: memref<?x8xf32>, %[[W:.*]]: memref<100x144xi8>, %[[Y:.*]]: memref<?x100xf32>)
// ODD: %[[M:.*]] = memref.dim %[[X]], %c0
// ODD: %[[TM:.*]] = arith.ceildivui %[[M]], %c16
// ODD: scf.forall (%[[I:.*]], %[[J:.*]]) in (%[[TM]], 3) {
// ODD: %[[MS:.*]] = arith.minsi %c16{{.*}}, %{{.*}}
// ODD: %[[NS:.*]] = arith.minsi %c48{{.*}}, %{{.*}}
// ODD: memref.subview %[[X]][%{{.*}}, 0] [%[[MS]], 256] [1, 1]
// ODD: memref.subview %[[W]][%{{.*}}, 0] [%[[NS]], 144] [1, 1]
// ODD: memref.subview %[[Y]][%{{.*}}, %{{.*}}] [%[[MS]], %[[NS]]] [1, 1]
// ODD: %[[SS:.*]] = memref.subview %[[S]][%{{.*}}, 0] [%[[MS]], 8] [1, 1]
// ODD: itq3.matmul_into {{.*}} scales %[[SS]] format<q4> rotation<none>
func.func @prefill(%x: memref<?x256xi8>, %s: memref<?x8xf32>, %w: memref<100x144xi8>, %y: memref<?x100xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<q4> rotation<none>
    : memref<?x256xi8>, memref<100x144xi8>, memref<?x100xf32>, memref<?x8xf32>
  return
}

// -----

// No activation rows: the tile loop runs zero times instead of dividing by a
// zero tile size.
// CHECK-LABEL: func @no_rows
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (0, 2)
func.func @no_rows(%x: memref<0x256xf32>, %w: memref<64x110xi8>, %y: memref<0x64xf32>) {
  itq3.matmul_into %x, %w into %y format<iq3> rotation<none>
    : memref<0x256xf32>, memref<64x110xi8>, memref<0x64xf32>
  return
}

// -----

// A kernel of a single tile keeps its tile loop through the canonicalizer
// (the block mapping stops it from folding the loop away): on GPUs the code
// around the loop is host code.
// ONE-LABEL: func @single_tile
// ONE: scf.forall (%{{.*}}, %{{.*}}) in (1, 1) {
// ONE: itq3.matmul_into
// ONE: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
func.func @single_tile(%x: memref<3x256xf32>, %w: memref<8x144xi8>, %y: memref<3x8xf32>) {
  itq3.matmul_into %x, %w into %y format<q4> rotation<none>
    : memref<3x256xf32>, memref<8x144xi8>, memref<3x8xf32>
  return
}

