// RUN: itq3-opt %s -convert-itq3-to-nvvm | FileCheck %s

// A dot of 8 bytes: two aligned 4-byte words of each row, two chained dp4a.
// CHECK-LABEL: func @dot
// CHECK-SAME: (%[[A:.*]]: memref<32x256xi8, #gpu.address_space<workgroup>>, %[[B:.*]]: memref<?x256xi8>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[A0:.*]] = vector.load %[[A]][%[[N]], %{{.*}}] {alignment = 4 : i64} : memref<32x256xi8, #gpu.address_space<workgroup>>, vector<4xi8>
// CHECK: %[[B0:.*]] = vector.load %[[B]][%[[M]], %{{.*}}] {alignment = 4 : i64} : memref<?x256xi8>, vector<4xi8>
// CHECK: %[[D0:.*]] = nvvm.dot.accumulate.4way %[[A0]] <signed>, %[[B0]] <signed>, %[[ZERO]] : vector<4xi8>, vector<4xi8>
// CHECK: %[[A1:.*]] = vector.load %[[A]]
// CHECK: %[[B1:.*]] = vector.load %[[B]]
// CHECK: %[[D1:.*]] = nvvm.dot.accumulate.4way %[[A1]] <signed>, %[[B1]] <signed>, %[[D0]]
// CHECK: return %[[D1]]
func.func @dot(%a: memref<32x256xi8, #gpu.address_space<workgroup>>, %b: memref<?x256xi8>, %n: index, %m: index) -> i32 {
  %c0 = arith.constant 0 : index
  %d = itq3.dot_i8 %a[%n, %c0], %b[%m, %c0] length(8) : memref<32x256xi8, #gpu.address_space<workgroup>>, memref<?x256xi8>
  return %d : i32
}

// Workgroup buffers of outlined kernels start 16-byte aligned.
// CHECK-LABEL: gpu.module @kernels
// CHECK: gpu.func @k() workgroup(%{{.*}} : memref<32x256xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<32x8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
gpu.module @kernels {
  gpu.func @k() workgroup(%codes : memref<32x256xi8, #gpu.address_space<workgroup>>, %scales : memref<32x8xf32, #gpu.address_space<workgroup>>) kernel {
    gpu.return
  }
}
