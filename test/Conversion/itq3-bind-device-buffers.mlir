// RUN: itq3-opt %s --itq3-bind-device-buffers -split-input-file -verify-diagnostics | FileCheck %s

// A buffer made on the host for kernels is allocated on the device (async
// form, waited for at once); the weight global becomes a parameter that names
// it. A constant table (no itq3.weight) stays a global.
// CHECK-LABEL: func @host
// CHECK-SAME: (%[[X:.*]]: memref<?x256xf32>, %[[N:.*]]: index, %[[W:.*]]: memref<8x110xi8> {itq3.weight = @weight})
// CHECK-NOT: memref.get_global @weight
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[B:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] (%[[N]]) : memref<?x256xi8>
// CHECK: gpu.wait [%[[T1]]]
// CHECK: %[[C:.*]] = memref.cast %[[B]]
// CHECK: gpu.launch
// CHECK: memref.get_global @table
// CHECK: memref.load %[[W]]
// CHECK: memref.store %{{.*}}, %[[C]]
// CHECK: %[[T2:.*]] = gpu.wait async
// CHECK: %[[T3:.*]] = gpu.dealloc async [%[[T2]]] %[[B]]
// CHECK: gpu.wait [%[[T3]]]
// CHECK-NOT: memref.dealloc
memref.global "private" constant @weight : memref<8x110xi8> = dense<1> {itq3.weight}
memref.global "private" constant @table : memref<4xi8> = dense<2>
func.func @host(%x: memref<?x256xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %w = memref.get_global @weight : memref<8x110xi8>
  %b = memref.alloc(%n) : memref<?x256xi8>
  %cast = memref.cast %b : memref<?x256xi8> to memref<?x256xi8, strided<[256, 1], offset: ?>>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %t = memref.get_global @table : memref<4xi8>
    %v = memref.load %w[%tx, %tx] : memref<8x110xi8>
    memref.store %v, %cast[%tx, %tx] : memref<?x256xi8, strided<[256, 1], offset: ?>>
    gpu.terminator
  }
  memref.dealloc %b : memref<?x256xi8>
  return
}

// -----

// Functions without kernels are left alone.
// CHECK-LABEL: func @no_kernels
// CHECK: memref.alloc
// CHECK: memref.dealloc
func.func @no_kernels(%n: index) {
  %b = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %b : memref<?xf32>
  return
}

// -----

// Kernels launched inside host control flow count too; a buffer no kernel
// uses stays on the host, and reading a buffer's sizes is host work that
// device buffers allow.
// CHECK-LABEL: func @nested
// CHECK: %[[HOST:.*]] = memref.alloc
// CHECK: gpu.alloc async
// CHECK: memref.dim
// CHECK: scf.if
// CHECK: gpu.launch
// CHECK: memref.dealloc %[[HOST]]
// CHECK: gpu.dealloc async
func.func @nested(%n: index, %go: i1) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %host = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  %size = memref.dim %b, %c0 : memref<?xf32>
  scf.if %go {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %f = arith.constant 1.0 : f32
      memref.store %f, %b[%tx] : memref<?xf32>
      gpu.terminator
    }
  }
  memref.dealloc %host : memref<?xf32>
  memref.dealloc %b : memref<?xf32>
  return %size : index
}

// -----

func.func @freed_through_a_view(%n: index) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{a buffer that both host code and GPU kernels use cannot be placed on the device}}
  %b = memref.alloc(%n) : memref<?xf32>
  %cast = memref.cast %b : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %cast[%tx] : memref<?xf32, strided<[1], offset: ?>>
    gpu.terminator
  }
  memref.dealloc %cast : memref<?xf32, strided<[1], offset: ?>>
  return
}

// -----

func.func @host_reads_it(%n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{a buffer that both host code and GPU kernels use cannot be placed on the device}}
  %b = memref.alloc(%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %b[%tx] : memref<?xf32>
    gpu.terminator
  }
  %v = memref.load %b[%c0] : memref<?xf32>
  return %v : f32
}

// -----

memref.global "private" constant @weight : memref<2x34xi8> = dense<1> {itq3.weight}
// expected-error @+1 {{its GPU kernels read weights, which become parameters, but other code calls it}}
func.func @called() {
  %c1 = arith.constant 1 : index
  %w = memref.get_global @weight : memref<2x34xi8>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %w[%tx, %tx] : memref<2x34xi8>
    gpu.terminator
  }
  return
}
func.func @caller() {
  func.call @called() : () -> ()
  return
}
