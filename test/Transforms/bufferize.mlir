// RUN: itq3-opt %s -itq3-bufferize -split-input-file | FileCheck %s

// Tensor-level code: the result becomes an out-parameter written in place
// (no copy, no allocation for it); the int8 activations in between are
// allocated and freed.
// CHECK-LABEL: func @layer
// CHECK-SAME: (%[[X:.*]]: memref<?x256xf32>, %[[W:.*]]: memref<8x110xi8>, %[[Y:.*]]: memref<?x8xf32>)
// CHECK-NOT: -> memref
// CHECK: %[[V:.*]] = memref.alloc
// CHECK: %[[S:.*]] = memref.alloc
// CHECK: itq3.quantize_act_into %[[X]] into %[[V]], %[[S]] rotate
// CHECK: itq3.matmul_into %[[V]], %[[W]] into %[[Y]] scales %[[S]]
// CHECK-NOT: memref.copy
// CHECK-DAG: memref.dealloc %[[V]]
// CHECK-DAG: memref.dealloc %[[S]]
// CHECK: return
func.func @layer(%x: tensor<?x256xf32>, %w: !itq3.packed<8x256, itq3_s>) -> tensor<?x8xf32> {
  %v, %s = itq3.quantize_act %x rotate : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x8xf32>
  %y = itq3.matmul %v, %w scales %s rotation<activation> : tensor<?x256xi8>, !itq3.packed<8x256, itq3_s>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A module of buffer-level kernels is left as it is, its own buffers too.
// CHECK-LABEL: func @kernel
// CHECK-SAME: (%{{.*}}: memref<?x256xf32>, %{{.*}}: memref<8x110xi8>) -> memref<?x8xf32>
// CHECK: %[[T:.*]] = memref.alloc
// CHECK: memref.dealloc %[[T]]
// CHECK: return %{{.*}} : memref<?x8xf32>
func.func @kernel(%x: memref<?x256xf32>, %w: memref<8x110xi8>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x256xf32>
  %t = memref.alloc(%m) : memref<?x8xf32>
  %y = memref.alloc(%m) : memref<?x8xf32>
  itq3.matmul_into %x, %w into %t format<itq3_s> rotation<weight>
    : memref<?x256xf32>, memref<8x110xi8>, memref<?x8xf32>
  memref.copy %t, %y : memref<?x8xf32> to memref<?x8xf32>
  memref.dealloc %t : memref<?x8xf32>
  return %y : memref<?x8xf32>
}
