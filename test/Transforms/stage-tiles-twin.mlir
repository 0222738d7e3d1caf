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

// Vector form, per block of 32 columns and rank step one vector load of the
// block's 32 codes and its scale. One row: the sums in registers (iter_args)
// and one FMA with t[0, j]; more rows: the block decoded once for all rows,
// each row's sums loaded, FMA'd and stored back.
// VEC-LABEL: func @expand
// VEC-SAME: (%[[T:.*]]: memref<?x24xf32>, %[[UT:.*]]: memref<24x102xi8>, %[[N0:.*]]: index, %[[Y:.*]]: memref<?x64xf32>)
// VEC: %[[ROWS:.*]] = memref.dim %[[Y]], %c0
// VEC: %[[ONE:.*]] = arith.cmpi eq, %[[ROWS]], %c1
// VEC: scf.if %[[ONE]] {
// VEC: scf.parallel (%[[B:.*]]) = (%c0) to (%c2)
// VEC: %[[C:.*]] = arith.muli %[[B]], %c32
// VEC: %[[SUM:.*]] = scf.for %[[J:.*]] = %c0 to %c24 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<32xf32>) {
// VEC: %[[CODES:.*]] = vector.load %[[UT]][%[[J]], %{{.*}}] : memref<24x102xi8>, vector<32xi8>
// VEC: arith.sitofp %[[CODES]] : vector<32xi8> to vector<32xf32>
// VEC: %[[U:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<32xf32>
// VEC: %[[TJ:.*]] = memref.load %[[T]][%c0, %[[J]]]
// VEC: %[[TV:.*]] = vector.broadcast %[[TJ]] : f32 to vector<32xf32>
// VEC: %[[NEXT:.*]] = vector.fma %[[TV]], %[[U]], %[[ACC]] : vector<32xf32>
// VEC: scf.yield %[[NEXT]]
// VEC: vector.store %[[SUM]], %[[Y]][%c0, %[[C]]] : memref<?x64xf32>, vector<32xf32>
// VEC: } else {
// VEC: scf.parallel (%[[B2:.*]]) = (%c0) to (%c2)
// VEC: %[[C2:.*]] = arith.muli %[[B2]], %c32
// VEC: scf.for %[[M0:.*]] = %c0 to %[[ROWS]] step %c1 {
// VEC: vector.store %{{.*}}, %[[Y]][%[[M0]], %[[C2]]]
// VEC: scf.for %[[J2:.*]] = %c0 to %c24 step %c1 {
// VEC: %[[CODES2:.*]] = vector.load %[[UT]][%[[J2]], %{{.*}}] : memref<24x102xi8>, vector<32xi8>
// VEC: %[[U2:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<32xf32>
// VEC: scf.for %[[M:.*]] = %c0 to %[[ROWS]] step %c1 {
// VEC: %[[OLD:.*]] = vector.load %[[Y]][%[[M]], %[[C2]]]
// VEC: %[[TM:.*]] = memref.load %[[T]][%[[M]], %[[J2]]]
// VEC: %[[TMV:.*]] = vector.broadcast %[[TM]]
// VEC: %[[NEW:.*]] = vector.fma %[[TMV]], %[[U2]], %[[OLD]] : vector<32xf32>
// VEC: vector.store %[[NEW]], %[[Y]][%[[M]], %[[C2]]]
func.func @expand(%t: memref<?x24xf32>, %ut: memref<24x102xi8>, %n0: index, %y: memref<?x64xf32>) {
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<?x24xf32>, memref<24x102xi8>, memref<?x64xf32>
  return
}
