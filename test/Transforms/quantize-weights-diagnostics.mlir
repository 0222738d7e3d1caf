// RUN: itq3-opt %s -itq3-quantize-weights -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not itq3-opt %s -itq3-quantize-weights="format=q5" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not itq3-opt %s -itq3-quantize-weights="format=q4 seed=3" 2>&1 | FileCheck %s --check-prefix=SEED

// FORMAT: unknown weight format 'q5'; expected f16, q8, q4, q3, q3r, iq3, itq3_s, ptqtp, twla or itq3_s64
// SEED: format 'q4' has no rotation, so it takes no sign seed

// A failing split prints no IR; only its error is checked.
func.func @nan_weight(%x: tensor<1x256xf32>, %acc: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %b = arith.constant dense<0x7FC00000> : tensor<256x4xf32>
  // expected-error @+1 {{weight element 0 is nan; cannot quantize it}}
  %y = linalg.matmul ins(%x, %b : tensor<1x256xf32>, tensor<256x4xf32>)
                     outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// K = 96 does not divide into 256-blocks: left alone with a remark, so the
// caller can pick a format with smaller blocks.
// CHECK-LABEL: func @k_not_divisible
// CHECK: linalg.matmul
// CHECK-NOT: itq3.
func.func @k_not_divisible(%x: tensor<1x96xf32>) -> tensor<1x4xf32> {
  %b = arith.constant dense<1.0> : tensor<96x4xf32>
  %acc = arith.constant dense<0.0> : tensor<1x4xf32>
  // expected-remark @+1 {{weight left in floating point: K = 96 is not a multiple of the itq3_s block size 256}}
  %y = linalg.matmul ins(%x, %b : tensor<1x96xf32>, tensor<96x4xf32>)
                     outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// A finite weight beyond what the format's fp16 scales reach is an error
// naming the first such row of W, not a quantize left unfolded.
func.func @beyond_fp16_scale(%x: tensor<1x256xf32>, %acc: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = arith.constant dense<3.0e30> : tensor<256x2xf32>
  // expected-error @+1 {{cannot quantize the weight: weight magnitude 4.8e+31 at row 0, columns 0..255 (after FWHT rotation) is out of range for format itq3_s}}
  %y = linalg.matmul ins(%x, %b : tensor<1x256xf32>, tensor<256x2xf32>)
                     outs(%acc : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
