// RUN: itq3-opt %s -convert-itq3-to-nvvm -canonicalize | FileCheck %s

// The int8 block (@mma_i8 below): lane l holds, with g = l / 4 and t = l % 4
// (the mma.sync m16n8k32 layouts of the PTX ISA):
//   a0..a3 = x[g, 4t..], x[g+8, 4t..], x[g, 4t+16..], x[g+8, 4t+16..]
//   b0, b1 = w[n+g, 4t..], w[n+g, 4t+16..]
//   c0, c1 = d[g, n+2t..], d[g+8, n+2t..]
// CHECK-DAG: #[[G:map[0-9]*]] = affine_map<()[s0] -> (s0 floordiv 4)>
// CHECK-DAG: #[[G8:map[0-9]*]] = affine_map<()[s0] -> (s0 floordiv 4 + 8)>
// CHECK-DAG: #[[T4:map[0-9]*]] = affine_map<()[s0] -> (s0 * 4 - (s0 floordiv 4) * 16)>
// CHECK-DAG: #[[T4P16:map[0-9]*]] = affine_map<()[s0] -> (s0 * 4 - (s0 floordiv 4) * 16 + 16)>
// CHECK-DAG: #[[NG:map[0-9]*]] = affine_map<()[s0, s1] -> (s1 + s0 floordiv 4)>
// CHECK-DAG: #[[NT2:map[0-9]*]] = affine_map<()[s0, s1] -> (s0 * 2 + s1 - (s0 floordiv 4) * 8)>

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

// CHECK-LABEL: func @mma_i8
// CHECK-SAME: (%[[X:.*]]: memref<16x256xi8, {{.*}}>, %[[W:.*]]: memref<32x256xi8, {{.*}}>, %[[D:.*]]: memref<128x32xi32, {{.*}}>, %[[N:.*]]: index)
// CHECK: %[[ZERO:.*]] = arith.constant dense<0> : vector<2x2xi32>
// CHECK: %[[LANE:.*]] = gpu.lane_id
// CHECK: %[[R0:.*]] = affine.apply #[[G]]()[%[[LANE]]]
// CHECK: %[[C0:.*]] = affine.apply #[[T4]]()[%[[LANE]]]
// CHECK: vector.load %[[X]][%[[R0]], %[[C0]]] {alignment = 4 : i64} {{.*}} vector<4xi8>
// CHECK: %[[R1:.*]] = affine.apply #[[G8]]()[%[[LANE]]]
// CHECK: %[[C1:.*]] = affine.apply #[[T4]]()[%[[LANE]]]
// CHECK: vector.load %[[X]][%[[R1]], %[[C1]]]
// CHECK: %[[R2:.*]] = affine.apply #[[G]]()[%[[LANE]]]
// CHECK: %[[C2:.*]] = affine.apply #[[T4P16]]()[%[[LANE]]]
// CHECK: vector.load %[[X]][%[[R2]], %[[C2]]]
// CHECK: %[[R3:.*]] = affine.apply #[[G8]]()[%[[LANE]]]
// CHECK: %[[C3:.*]] = affine.apply #[[T4P16]]()[%[[LANE]]]
// CHECK: vector.load %[[X]][%[[R3]], %[[C3]]]
// CHECK: %[[A:.*]] = vector.from_elements {{.*}} : vector<4x4xi8>
// CHECK: %[[BR0:.*]] = affine.apply #[[NG]]()[%[[LANE]], %[[N]]]
// CHECK: %[[BC0:.*]] = affine.apply #[[T4]]()[%[[LANE]]]
// CHECK: vector.load %[[W]][%[[BR0]], %[[BC0]]]
// CHECK: %[[BR1:.*]] = affine.apply #[[NG]]()[%[[LANE]], %[[N]]]
// CHECK: %[[BC1:.*]] = affine.apply #[[T4P16]]()[%[[LANE]]]
// CHECK: vector.load %[[W]][%[[BR1]], %[[BC1]]]
// CHECK: %[[B:.*]] = vector.from_elements {{.*}} : vector<2x4xi8>
// CHECK: %[[P:.*]] = nvgpu.mma.sync(%[[A]], %[[B]], %[[ZERO]]) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
// CHECK: %[[DR0:.*]] = affine.apply #[[G]]()[%[[LANE]]]
// CHECK: %[[DC0:.*]] = affine.apply #[[NT2]]()[%[[LANE]], %[[N]]]
// CHECK: %[[P0:.*]] = vector.extract %[[P]][0]
// CHECK: vector.store %[[P0]], %[[D]][%[[DR0]], %[[DC0]]] {alignment = 8 : i64}
// CHECK: %[[DR1:.*]] = affine.apply #[[G8]]()[%[[LANE]]]
// CHECK: %[[DC1:.*]] = affine.apply #[[NT2]]()[%[[LANE]], %[[N]]]
// CHECK: %[[P1:.*]] = vector.extract %[[P]][1]
// CHECK: vector.store %[[P1]], %[[D]][%[[DR1]], %[[DC1]]]
func.func @mma_i8(%x: memref<16x256xi8, #gpu.address_space<workgroup>>, %w: memref<32x256xi8, #gpu.address_space<workgroup>>, %d: memref<128x32xi32, #gpu.address_space<workgroup>>, %n: index) {
  %c0 = arith.constant 0 : index
  itq3.mma %x[%c0, %c0], %w[%n, %c0] into %d[%c0, %n] length(32) : memref<16x256xi8, #gpu.address_space<workgroup>>, memref<32x256xi8, #gpu.address_space<workgroup>>, memref<128x32xi32, #gpu.address_space<workgroup>>
  return
}

// An f16 block accumulating over 256 columns: the accumulator fragment is
// loaded once, 16 m16n8k16 steps run in a loop, and it is stored once.
// CHECK-LABEL: func @mma_f16
// CHECK: %[[LANE:.*]] = gpu.lane_id
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 8 : i64} : memref<16x16xf32>, vector<2xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c16 iter_args(%{{.*}} = %{{.*}}) -> (vector<2x2xf32>)
// CHECK-COUNT-4: vector.load %{{.*}} {alignment = 4 : i64} : memref<16x256xf16>, vector<2xf16>
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 4 : i64} : memref<16x256xf16>, vector<2xf16>
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: }
// CHECK-COUNT-2: vector.store %{{.*}} {alignment = 8 : i64} : memref<16x16xf32>, vector<2xf32>
func.func @mma_f16(%x: memref<16x256xf16>, %w: memref<16x256xf16>, %acc: memref<16x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  itq3.mma %x[%c0, %c0], %w[%n, %c0] into %acc[%c0, %n] length(256) accumulate : memref<16x256xf16>, memref<16x256xf16>, memref<16x16xf32>
  return
}
