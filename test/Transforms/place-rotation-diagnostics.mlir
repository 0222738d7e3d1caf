// RUN: itq3-opt %s -itq3-place-rotation -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not itq3-opt %s -itq3-place-rotation="mode=both" 2>&1 | FileCheck %s --check-prefix=MODE

// MODE: unknown rotation placement 'both'; expected activation or weight

// CHECK-LABEL: func @f16_weights
// CHECK: itq3.matmul %{{.*}}, %{{.*}} rotation<none> : tensor<1x64xf32>
func.func @f16_weights(%x: tensor<1x64xf32>, %w: !itq3.packed<4x64, f16>) -> tensor<1x4xf32> {
  // expected-remark @+1 {{f16 weights keep float activations}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<1x64xf32>, !itq3.packed<4x64, f16> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
