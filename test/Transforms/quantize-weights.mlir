// RUN: itq3-opt %s -itq3-quantize-weights -split-input-file | FileCheck %s
// RUN: itq3-opt %s -itq3-quantize-weights="format=q4" -canonicalize -split-input-file | FileCheck %s --check-prefix=Q4

// A [K, N] weight under the default maps is transposed to [N, K]; a zero
// accumulator needs no addition.
// CHECK-LABEL: func @default_maps
// CHECK-SAME: (%[[X:.*]]: tensor<2x256xf32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<8x256xf32>
// CHECK: %[[Q:.*]] = itq3.quantize %[[W]] : tensor<8x256xf32> -> !itq3.packed<8x256, itq3_s>
// CHECK: %[[Y:.*]] = itq3.matmul %[[X]], %[[Q]] rotation<weight> : tensor<2x256xf32>, !itq3.packed<8x256, itq3_s> -> tensor<2x8xf32>
// CHECK-NOT: arith.addf
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// Q4-LABEL: func @default_maps
// Q4: %[[Q:.*]] = itq3.constant dense_resource<itq3_packed> : tensor<8x144xi8> -> !itq3.packed<8x256, q4>
// Q4: itq3.matmul %{{.*}}, %[[Q]] rotation<none>
func.func @default_maps(%x: tensor<2x256xf32>) -> tensor<2x8xf32> {
  %b = arith.constant dense<0.25> : tensor<256x8xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = linalg.matmul ins(%x, %b : tensor<2x256xf32>, tensor<256x8xf32>)
                     outs(%init : tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// An [N, K] weight under the transposed-B maps is used as is; a non-zero
// accumulator is added back.
// CHECK-LABEL: func @transposed_b
// CHECK-SAME: (%[[X:.*]]: tensor<1x512xf32>, %[[ACC:.*]]: tensor<1x4xf32>)
// CHECK: %[[Q:.*]] = itq3.quantize %{{.*}} : tensor<4x512xf32> -> !itq3.packed<4x512, itq3_s>
// CHECK: %[[Y:.*]] = itq3.matmul %[[X]], %[[Q]] rotation<weight>
// CHECK: %[[S:.*]] = arith.addf %[[ACC]], %[[Y]] : tensor<1x4xf32>
// CHECK: return %[[S]]
func.func @transposed_b(%x: tensor<1x512xf32>, %acc: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<-1.5> : tensor<4x512xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
                     ins(%x, %w : tensor<1x512xf32>, tensor<4x512xf32>)
                     outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Weights that are not constants stay in floating point.
// CHECK-LABEL: func @runtime_weight
// CHECK: linalg.matmul
// CHECK-NOT: itq3.
func.func @runtime_weight(%x: tensor<1x256xf32>, %b: tensor<256x4xf32>, %acc: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = linalg.matmul ins(%x, %b : tensor<1x256xf32>, tensor<256x4xf32>)
                     outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// K = 96 divides into q4's 32-blocks (the itq3_s case is in
// quantize-weights-diagnostics.mlir).
// Q4-LABEL: func @k_96
// Q4: itq3.constant dense_resource<itq3_packed> : tensor<4x54xi8> -> !itq3.packed<4x96, q4>
// Q4: itq3.matmul
func.func @k_96(%x: tensor<1x96xf32>) -> tensor<1x4xf32> {
  %b = arith.constant dense<1.0> : tensor<96x4xf32>
  %acc = arith.constant dense<0.0> : tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %b : tensor<1x96xf32>, tensor<96x4xf32>)
                     outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
