// Ops without a buffer form, and types the buffer forms do not take, stop
// bufferization with a message that says what to do.
//
// RUN: itq3-opt %s -one-shot-bufferize="bufferize-function-boundaries" -split-input-file -verify-diagnostics

func.func @rotation_alone(%x: tensor<2x256xf32>) -> tensor<2x256xf32> {
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'itq3.fwht' op has no buffer form: a rotation is only lowered fused into itq3.quantize_act (run --canonicalize) or into a matmul's rotation<weight>}}
  %r = itq3.fwht %x : tensor<2x256xf32>
  return %r : tensor<2x256xf32>
}

// -----

func.func @kron_rotation_alone(%x: tensor<2x576xf32>, %c: tensor<32x32xf32>, %b: tensor<18x18xf32>) -> tensor<2x576xf32> {
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'itq3.kron_rotate' op has no buffer form: a Kronecker rotation is only lowered fused into itq3.quantize_act (run --canonicalize)}}
  %r = itq3.kron_rotate %x by %c, %b : tensor<2x576xf32>, tensor<32x32xf32>, tensor<18x18xf32>
  return %r : tensor<2x576xf32>
}

// -----

func.func @weight_not_constant(%w: tensor<8x256xf32>, %x: tensor<1x256xf32>) -> tensor<1x8xf32> {
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'itq3.quantize' op has no buffer form: weights are quantized at compile time, so they must be constants (run --canonicalize to fold them)}}
  %q = itq3.quantize %w : tensor<8x256xf32> -> !itq3.packed<8x256, q4>
  %y = itq3.matmul %x, %q rotation<none> : tensor<1x256xf32>, !itq3.packed<8x256, q4> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @dequantize(%w: !itq3.packed<8x256, q4>) -> tensor<8x256xf32> {
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'itq3.dequantize' op has no buffer form: kernels read packed weights directly}}
  %d = itq3.dequantize %w : !itq3.packed<8x256, q4> -> tensor<8x256xf32>
  return %d : tensor<8x256xf32>
}

// -----

func.func @bf16_activations(%x: tensor<3x64xbf16>, %w: !itq3.packed<5x64, q8>) -> tensor<3x5xf32> {
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'itq3.matmul' op has no buffer form for 'bf16' activations; extend them to f32 first}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<3x64xbf16>, !itq3.packed<5x64, q8> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @f16_result(%x: tensor<3x64xf32>, %w: !itq3.packed<5x64, q8>) -> tensor<3x5xf16> {
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'itq3.matmul' op has no buffer form for a 'f16' result; use f32}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<3x64xf32>, !itq3.packed<5x64, q8> -> tensor<3x5xf16>
  return %y : tensor<3x5xf16>
}
