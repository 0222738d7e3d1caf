// RUN: itq3-opt %s -itq3-stage-tiles -canonicalize | FileCheck %s
// RUN: itq3-opt %s -itq3-stage-tiles="vector-decode=true" -canonicalize | FileCheck %s --check-prefix=VEC

// TwinQuant's low-rank phase, y = t U^T for the columns n0..n0+63 of a
// q8 U^T (rank 24, blocks of 34 bytes along N). Scalar form: one phase
// over (row, column), the rank summed with the scalar decode of U^T[j, n].
// CHECK-LABEL: func @expand
// CHECK-SAME: (%[[T:.*]]: memref<?x24xf32>, %[[UT:.*]]: memref<24x102xi8>, %[[N0:.*]]: index, %[[Y:.*]]: memref<?x64xf32>)
// CHECK: scf.parallel (%[[M:.*]], %[[C:.*]]) = (%c0, %c0) to (%{{.*}}, %c64)
// CHECK: %[[N:.*]] = arith.addi %[[N0]], %[[C]]
// CHECK: %[[SUM:.*]] = scf.for %[[J:.*]] = %c0 to %c24 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK: %[[TJ:.*]] = memref.load %[[T]][%[[M]], %[[J]]]
// CHECK: arith.divui %[[N]], %c32
// CHECK: memref.load %[[UT]][%[[J]], %{{.*}}]
// CHECK: arith.bitcast %{{.*}} : i16 to f16
// CHECK: %[[CODE:.*]] = memref.load %[[UT]][%[[J]], %{{.*}}]
// CHECK: %[[U:.*]] = arith.mulf
// CHECK: %[[TERM:.*]] = arith.mulf %[[TJ]], %[[U]]
// CHECK: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[TERM]]
// CHECK: scf.yield %[[NEXT]]
// CHECK: memref.store %[[SUM]], %[[Y]][%[[M]], %[[C]]]

// Vector form: a phase over (row, block of 32 columns); per rank step one
// vector load of the block's 32 codes, its scale, and one FMA with t[m, j].
// VEC-LABEL: func @expand
// VEC-SAME: (%[[T:.*]]: memref<?x24xf32>, %[[UT:.*]]: memref<24x102xi8>, %[[N0:.*]]: index, %[[Y:.*]]: memref<?x64xf32>)
// VEC: scf.parallel (%[[M:.*]], %[[B:.*]]) = (%c0, %c0) to (%{{.*}}, %c2)
// VEC: %[[C:.*]] = arith.muli %[[B]], %c32
// VEC: %[[SUM:.*]] = scf.for %[[J:.*]] = %c0 to %c24 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<32xf32>) {
// VEC: %[[TJ:.*]] = memref.load %[[T]][%[[M]], %[[J]]]
// VEC: %[[TV:.*]] = vector.broadcast %[[TJ]] : f32 to vector<32xf32>
// VEC: %[[N:.*]] = arith.addi %[[N0]], %[[C]]
// VEC: %[[CODES:.*]] = vector.load %[[UT]][%[[J]], %{{.*}}] : memref<24x102xi8>, vector<32xi8>
// VEC: arith.sitofp %[[CODES]] : vector<32xi8> to vector<32xf32>
// VEC: %[[U:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<32xf32>
// VEC: %[[NEXT:.*]] = vector.fma %[[TV]], %[[U]], %[[ACC]] : vector<32xf32>
// VEC: scf.yield %[[NEXT]]
// VEC: vector.store %[[SUM]], %[[Y]][%[[M]], %[[C]]] : memref<?x64xf32>, vector<32xf32>
func.func @expand(%t: memref<?x24xf32>, %ut: memref<24x102xi8>, %n0: index, %y: memref<?x64xf32>) {
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<?x24xf32>, memref<24x102xi8>, memref<?x64xf32>
  return
}
