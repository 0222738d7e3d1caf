// RUN: itq3-opt %s -itq3-place-rotation -split-input-file | FileCheck %s --check-prefix=ACT
// RUN: itq3-opt %s -itq3-place-rotation="mode=weight" -split-input-file | FileCheck %s --check-prefix=WGT
// RUN: itq3-opt %s -itq3-place-rotation -itq3-place-rotation="mode=weight" -split-input-file | FileCheck %s --check-prefix=BACK

// ACT-LABEL: func @rotated
// ACT-SAME: (%[[X:.*]]: tensor<?x512xf32>, %[[W:.*]]: !itq3.packed<64x512, itq3_s, seed = 9>)
// ACT: %[[R:.*]] = itq3.fwht %[[X]] signs(9) : tensor<?x512xf32>
// ACT: %[[V:.*]], %[[S:.*]] = itq3.quantize_act %[[R]] : tensor<?x512xf32> -> tensor<?x512xi8>, tensor<?x16xf32>
// ACT: %[[Y:.*]] = itq3.matmul %[[V]], %[[W]] scales %[[S]] rotation<activation>
// ACT: return %[[Y]]
// WGT-LABEL: func @rotated
// WGT: itq3.matmul %{{.*}}, %{{.*}} rotation<weight> : tensor<?x512xf32>
// Weight mode keeps int8 matmuls: it only moves float ones.
// BACK-LABEL: func @rotated
// BACK: itq3.fwht
// BACK: itq3.quantize_act
// BACK: rotation<activation>
func.func @rotated(%x: tensor<?x512xf32>, %w: !itq3.packed<64x512, itq3_s, seed = 9>) -> tensor<?x64xf32> {
  %y = itq3.matmul %x, %w rotation<weight> : tensor<?x512xf32>, !itq3.packed<64x512, itq3_s, seed = 9> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// itq3_s64 rotates its activations per 64 columns.
// ACT-LABEL: func @rotated64
// ACT: %[[R:.*]] = itq3.fwht %{{.*}} block(64) signs(9) : tensor<?x576xf32>
// ACT: itq3.quantize_act %[[R]] : tensor<?x576xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
// ACT: rotation<activation>
// WGT-LABEL: func @rotated64
// WGT: itq3.matmul %{{.*}}, %{{.*}} rotation<weight> : tensor<?x576xf32>
// A hand rotation per 256 is not the weight's rotation per 64: it stays.
// WGT: %[[R:.*]] = itq3.fwht %{{.*}} signs(9) : tensor<?x512xf32>
// WGT: itq3.matmul %[[R]], %{{.*}} rotation<activation>
func.func @rotated64(%x: tensor<?x576xf32>, %w: !itq3.packed<64x576, itq3_s64, seed = 9>,
                     %x2: tensor<?x512xf32>, %w2: !itq3.packed<8x512, itq3_s64, seed = 9>)
    -> (tensor<?x64xf32>, tensor<?x8xf32>) {
  %y = itq3.matmul %x, %w rotation<weight> : tensor<?x576xf32>, !itq3.packed<64x576, itq3_s64, seed = 9> -> tensor<?x64xf32>
  %r = itq3.fwht %x2 signs(9) : tensor<?x512xf32>
  %z = itq3.matmul %r, %w2 rotation<activation> : tensor<?x512xf32>, !itq3.packed<8x512, itq3_s64, seed = 9> -> tensor<?x8xf32>
  return %y, %z : tensor<?x64xf32>, tensor<?x8xf32>
}

// -----

// Unrotated formats only quantize the activations.
// ACT-LABEL: func @unrotated
// ACT-NOT: itq3.fwht
// ACT: %[[V:.*]], %[[S:.*]] = itq3.quantize_act %{{.*}} : tensor<1x256xf32> -> tensor<1x256xi8>, tensor<1x8xf32>
// ACT: itq3.matmul %[[V]], %{{.*}} scales %[[S]] rotation<none>
func.func @unrotated(%x: tensor<1x256xf32>, %w: !itq3.packed<8x256, q4>) -> tensor<1x8xf32> {
  %y = itq3.matmul %x, %w rotation<none> : tensor<1x256xf32>, !itq3.packed<8x256, q4> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// Float activations already rotated by hand go back to the fused weight form
// when the seeds match, and stay as they are when they do not.
// WGT-LABEL: func @hand_rotated
// WGT-SAME: (%[[X:.*]]: tensor<2x256xf32>
// WGT: %[[A:.*]] = itq3.matmul %[[X]], %{{.*}} rotation<weight>
// WGT: %[[R:.*]] = itq3.fwht %[[X]] signs(4)
// WGT: %[[B:.*]] = itq3.matmul %[[R]], %{{.*}} rotation<activation>
// WGT: return %[[A]], %[[B]]
func.func @hand_rotated(%x: tensor<2x256xf32>, %w: !itq3.packed<8x256, q3r>, %v: !itq3.packed<8x256, q3r, seed = 5>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %r = itq3.fwht %x : tensor<2x256xf32>
  %a = itq3.matmul %r, %w rotation<activation> : tensor<2x256xf32>, !itq3.packed<8x256, q3r> -> tensor<2x8xf32>
  %s = itq3.fwht %x signs(4) : tensor<2x256xf32>
  %b = itq3.matmul %s, %v rotation<activation> : tensor<2x256xf32>, !itq3.packed<8x256, q3r, seed = 5> -> tensor<2x8xf32>
  return %a, %b : tensor<2x8xf32>, tensor<2x8xf32>
}
