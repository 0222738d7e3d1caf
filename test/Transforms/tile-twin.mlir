// RUN: itq3-opt %s -itq3-tile | FileCheck %s

// TwinQuant: one scf.forall; per tile, t = x V^T into a [tile M, rank]
// stage by blocks of 8 rows of V (rank 24: three), t U^T for the tile's
// columns into a [tile M, tile N] stage, the residual's product
// accumulated onto it, then one epilogue phase that writes the tile of y.
// CHECK-LABEL: func @twin
// CHECK-SAME: (%[[X:.*]]: memref<?x512xi8>, %[[S:.*]]: memref<?x16xf32>, %[[R:.*]]: memref<96x288xi8>, %[[UT:.*]]: memref<24x102xi8>, %[[V:.*]]: memref<24x544xi8>, %[[Y:.*]]: memref<?x96xf32>)
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) in (%{{.*}}, 3) {
// CHECK: %[[N0:.*]] = arith.muli %[[J]], %c32
// CHECK: %[[XS:.*]] = memref.subview %[[X]]
// CHECK: %[[RS:.*]] = memref.subview %[[R]][%[[N0]], 0] [32, 288] [1, 1]
// CHECK: %[[YS:.*]] = memref.subview %[[Y]]
// CHECK: %[[SS:.*]] = memref.subview %[[S]]
// CHECK: %[[T:.*]] = memref.alloca() : memref<8x24xf32>
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %c3 step %c1 {
// CHECK: %[[J0:.*]] = arith.muli %[[B]], %c8
// CHECK: %[[VS:.*]] = memref.subview %[[V]][%[[J0]], 0] [8, 544] [1, 1]
// CHECK: %[[TB:.*]] = memref.subview %[[T]][0, %[[J0]]] [%{{.*}}, 8] [1, 1]
// CHECK: itq3.matmul_into %[[XS]], %[[VS]] into %[[TB]] scales %[[SS]] format<q8> rotation<none> :
// CHECK: }
// CHECK: %[[TT:.*]] = memref.subview %[[T]][0, 0] [%{{.*}}, 24] [1, 1]
// CHECK: %[[SUMS:.*]] = memref.alloca() : memref<8x32xf32>
// CHECK: %[[ST:.*]] = memref.subview %[[SUMS]][0, 0] [%{{.*}}, 32] [1, 1]
// CHECK: itq3.lowrank_expand_into %[[TT]], %[[UT]][%[[N0]]] into %[[ST]] factors<q8>
// CHECK: itq3.matmul_into %[[XS]], %[[RS]] into %[[ST]] scales %[[SS]] format<q4> rotation<none> accumulate
// CHECK: scf.parallel (%[[R:.*]], %[[C:.*]]) =
// CHECK: %[[V:.*]] = memref.load %[[ST]][%[[R]], %[[C]]]
// CHECK: memref.store %[[V]], %[[YS]][%[[R]], %[[C]]]
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK-NOT: itq3.twin_matmul_into
func.func @twin(%x: memref<?x512xi8>, %s: memref<?x16xf32>, %r: memref<96x288xi8>, %ut: memref<24x102xi8>, %v: memref<24x544xi8>, %y: memref<?x96xf32>) {
  itq3.twin_matmul_into %x, %r, %ut, %v into %y scales %s format<q4> factors<q8> rotation<none>
    : memref<?x512xi8>, memref<96x288xi8>, memref<24x102xi8>, memref<24x544xi8>, memref<?x96xf32>, memref<?x16xf32>
  return
}
