// RUN: itq3-opt %s -split-input-file --itq3-tile-parallel-loops | FileCheck %s
// RUN: itq3-opt %s -split-input-file --itq3-tile-parallel-loops=threads=32 | FileCheck %s --check-prefix=T32

// A model op's loop over (rows, columns): tiles of 1 x 128, the columns of
// a tile in an inner parallel loop (the block's threads) with a bounds
// check.
// CHECK-LABEL: func.func @elementwise
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[S0:.*]] = arith.muli %c1, %{{.*}} : index
// CHECK: %[[S1:.*]] = arith.muli %c1, %[[C128]] : index
// CHECK: scf.parallel (%[[R:.*]], %[[C:.*]]) = (%c0, %c0) to (%{{.*}}, %c3000) step (%[[S0]], %[[S1]])
// CHECK: scf.parallel (%{{.*}}, %[[T:.*]]) = (%{{.*}}, %{{.*}}) to (%[[S0]], %[[S1]])
// CHECK: arith.addi %{{.*}}, %[[C]]
// CHECK: arith.cmpi ult, %{{.*}}, %c3000
// CHECK: scf.if
// T32-LABEL: func.func @elementwise
// T32: arith.constant 32 : index
func.func @elementwise(%x: memref<?x3000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3000 = arith.constant 3000 : index
  %m = memref.dim %x, %c0 : memref<?x3000xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %c3000) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x3000xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%i, %j] : memref<?x3000xf32>
  }
  return
}

// -----

// Three dimensions: at most 64 threads in the third (CUDA's limit in z);
// a constant trip count below the tile takes no more threads than it has.
// CHECK-LABEL: func.func @three
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: arith.muli %c1, %[[C64]] : index
// CHECK-LABEL: func.func @eight
// CHECK: %[[S:.*]] = arith.muli %c1, %c8_{{[0-9]+}} : index
// CHECK: scf.parallel {{.*}} step (%{{.*}}, %[[S]])
func.func @three(%x: memref<?x8x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %m = memref.dim %x, %c0 : memref<?x8x?xf32>
  %n = memref.dim %x, %c2 : memref<?x8x?xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%m, %c8, %n) step (%c1, %c1, %c1) {
    %v = memref.load %x[%i, %j, %k] : memref<?x8x?xf32>
    memref.store %v, %x[%i, %j, %k] : memref<?x8x?xf32>
  }
  return
}
func.func @eight(%x: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %m = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x8xf32>
    memref.store %v, %x[%i, %j] : memref<?x8xf32>
  }
  return
}

// -----

// Only outermost loops outside kernels are tiled: the nested loop and the
// loop inside a launch stay as they are.
// CHECK-LABEL: func.func @nested
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c100) step (%[[S:.*]])
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[S]]) step (%c1)
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c100) step (%c1)
// CHECK-LABEL: func.func @in_kernel
// CHECK: gpu.launch
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c100) step (%c1)
func.func @nested(%x: memref<100x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  scf.parallel (%i) = (%c0) to (%c100) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c100) step (%c1) {
      %v = memref.load %x[%i, %j] : memref<100x100xf32>
      memref.store %v, %x[%i, %j] : memref<100x100xf32>
    }
  }
  return
}
func.func @in_kernel(%x: memref<100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.parallel (%i) = (%c0) to (%c100) step (%c1) {
      %v = memref.load %x[%i] : memref<100xf32>
      memref.store %v, %x[%i] : memref<100xf32>
    }
    gpu.terminator
  }
  return
}
