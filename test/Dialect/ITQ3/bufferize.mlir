// RUN: itq3-opt %s -canonicalize -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" -split-input-file | FileCheck %s

// A packed weight parameter is its stored bytes; the product gets a new
// result buffer with the activations' M.
// CHECK-LABEL: func @parameter
// CHECK-SAME: (%[[X:.*]]: memref<?x512xf32>, %[[W:.*]]: memref<64x220xi8>) -> memref<?x64xf32>
// CHECK: %[[M:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x512xf32>
// CHECK: %[[Y:.*]] = memref.alloc(%[[M]]) {{.*}} : memref<?x64xf32>
// CHECK: itq3.matmul_into %[[X]], %[[W]] into %[[Y]] format<itq3_s, seed = 9> rotation<weight> : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
// CHECK: return %[[Y]]
func.func @parameter(%x: tensor<?x512xf32>, %w: !itq3.packed<64x512, itq3_s, seed = 9>) -> tensor<?x64xf32> {
  %y = itq3.matmul %x, %w rotation<weight> : tensor<?x512xf32>, !itq3.packed<64x512, itq3_s, seed = 9> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A quantized constant becomes a read-only global marked as a weight; the
// rotation of the activations is fused into their quantizer, which writes
// new value and scale buffers.
// CHECK: memref.global "private" constant @[[G:itq3_weight[_0-9]*]] : memref<8x110xi8> = dense_resource<{{.*}}> {alignment = 64 : i64, itq3.weight}
// CHECK-LABEL: func @constant
// CHECK-SAME: (%[[X:.*]]: memref<3x256xf32>) -> memref<3x8xf32>
// CHECK: %[[W:.*]] = memref.get_global @[[G]] : memref<8x110xi8>
// CHECK: %[[V:.*]] = memref.alloc() {{.*}} : memref<3x256xi8>
// CHECK: %[[S:.*]] = memref.alloc() {{.*}} : memref<3x8xf32>
// CHECK: itq3.quantize_act_into %[[X]] into %[[V]], %[[S]] rotate signs(5) :
// CHECK: %[[Y:.*]] = memref.alloc() {{.*}} : memref<3x8xf32>
// CHECK: itq3.matmul_into %[[V]], %[[W]] into %[[Y]] scales %[[S]] format<itq3_s, seed = 5> rotation<activation>
// CHECK: return %[[Y]]
func.func @constant(%x: tensor<3x256xf32>) -> tensor<3x8xf32> {
  %c = arith.constant dense<0.25> : tensor<8x256xf32>
  %q = itq3.quantize %c : tensor<8x256xf32> -> !itq3.packed<8x256, itq3_s, seed = 5>
  %r = itq3.fwht %x signs(5) : tensor<3x256xf32>
  %v, %s = itq3.quantize_act %r : tensor<3x256xf32> -> tensor<3x256xi8>, tensor<3x8xf32>
  %y = itq3.matmul %v, %q scales %s rotation<activation> : tensor<3x256xi8>, !itq3.packed<8x256, itq3_s, seed = 5>, tensor<3x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// Two weights, two globals with distinct names; a weight used again (here
// by a second function) is stored once.
// CHECK-DAG: memref.global "private" constant @[[A:itq3_weight[_0-9]*]] : memref<2x34xi8> = dense<1>
// CHECK-DAG: memref.global "private" constant @[[B:itq3_weight[_0-9]*]] : memref<2x34xi8> = dense<2>
// CHECK-NOT: memref.global
// CHECK-LABEL: func @two_weights
// CHECK: memref.get_global @[[A]]
// CHECK: memref.get_global @[[B]]
// CHECK-LABEL: func @shared_weight
// CHECK: memref.get_global @[[A]]
func.func @two_weights(%x: tensor<1x32xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %a = itq3.constant dense<1> : tensor<2x34xi8> -> !itq3.packed<2x32, q8>
  %b = itq3.constant dense<2> : tensor<2x34xi8> -> !itq3.packed<2x32, q8>
  %y = itq3.matmul %x, %a rotation<none> : tensor<1x32xf32>, !itq3.packed<2x32, q8> -> tensor<1x2xf32>
  %z = itq3.matmul %x, %b rotation<none> : tensor<1x32xf32>, !itq3.packed<2x32, q8> -> tensor<1x2xf32>
  return %y, %z : tensor<1x2xf32>, tensor<1x2xf32>
}
func.func @shared_weight(%x: tensor<1x32xf32>) -> tensor<1x2xf32> {
  %a = itq3.constant dense<1> : tensor<2x34xi8> -> !itq3.packed<2x32, q8>
  %y = itq3.matmul %x, %a rotation<none> : tensor<1x32xf32>, !itq3.packed<2x32, q8> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// TWLA's quantizer: the Kronecker factors are read in place.
// CHECK-LABEL: func @twla_quantizer
// CHECK-SAME: (%[[X:.*]]: memref<3x576xf32{{.*}}>, %[[C:.*]]: memref<32x32xf32{{.*}}>, %[[B:.*]]: memref<18x18xf32{{.*}}>)
// CHECK: %[[V:.*]] = memref.alloc() {{.*}} : memref<3x576xi8>
// CHECK: %[[S:.*]] = memref.alloc() {{.*}} : memref<3x18xf32>
// CHECK: itq3.quantize_act_into %[[X]] into %[[V]], %[[S]] kron(%[[C]], %[[B]]) bits(4) clip(8.500000e-01) :
func.func @twla_quantizer(%x: tensor<3x576xf32>, %c: tensor<32x32xf32>, %b: tensor<18x18xf32>) -> (tensor<3x576xi8>, tensor<3x18xf32>) {
  %v, %s = itq3.quantize_act %x kron(%c, %b) bits(4) clip(0.85) : tensor<3x576xf32>, tensor<32x32xf32>, tensor<18x18xf32> -> tensor<3x576xi8>, tensor<3x18xf32>
  return %v, %s : tensor<3x576xi8>, tensor<3x18xf32>
}
