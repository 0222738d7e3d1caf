// RUN: itq3-opt %s | itq3-opt | FileCheck %s
// RUN: itq3-opt %s --mlir-print-op-generic | itq3-opt | FileCheck %s

// CHECK-LABEL: func @format_attrs
// CHECK-SAME: fmt = #itq3.format<itq3_s>
// CHECK-SAME: plain = #itq3.format<q4>
// CHECK-SAME: seeded = #itq3.format<q3r, seed = 7>
// CHECK-SAME: ternary = #itq3.format<ptqtp>
// CHECK-SAME: twla = #itq3.format<twla>
func.func @format_attrs() attributes {
    fmt = #itq3.format<itq3_s>, seeded = #itq3.format<q3r, seed = 7>,
    plain = #itq3.format<q4>, ternary = #itq3.format<ptqtp>,
    twla = #itq3.format<twla>} {
  return
}

// CHECK-LABEL: func @packed_types
// CHECK-SAME: !itq3.packed<64x256, itq3_s>
// CHECK-SAME: !itq3.packed<64x256, itq3_s, seed = 42>
// CHECK-SAME: !itq3.packed<8x32, q8>
// CHECK-SAME: !itq3.packed<3x5, f16>
// CHECK-SAME: !itq3.packed<7x384, ptqtp>
// CHECK-SAME: !itq3.packed<5x576, twla>
func.func @packed_types(%a: !itq3.packed<64x256, itq3_s>,
                        %b: !itq3.packed<64x256, itq3_s, seed = 42>,
                        %c: !itq3.packed<8x32, q8>,
                        %d: !itq3.packed<3x5, f16>,
                        %e: !itq3.packed<7x384, ptqtp>,
                        %f: !itq3.packed<5x576, twla>) {
  return
}

// CHECK-LABEL: func @fwht
// CHECK: %[[R:.*]] = itq3.fwht %{{.*}} : tensor<4x512xf32>
// CHECK: itq3.fwht %[[R]] signs(7) : tensor<4x512xf32>
func.func @fwht(%x: tensor<4x512xf32>) -> tensor<4x512xf32> {
  %r = itq3.fwht %x : tensor<4x512xf32>
  %s = itq3.fwht %r signs(7) : tensor<4x512xf32>
  return %s : tensor<4x512xf32>
}

// itq3_s64's rotation: FWHT-64 blocks; block(256) is the default's spelling.
// CHECK-LABEL: func @fwht_block64
// CHECK: %[[R:.*]] = itq3.fwht %{{.*}} block(64) signs(7) : tensor<4x576xf32>
// CHECK: itq3.quantize_act %[[R]] rotate block(64) signs(7) : tensor<4x576xf32> -> tensor<4x576xi8>, tensor<4x18xf32>
// CHECK: itq3.fwht %{{.*}} block(256) : tensor<4x512xf32>
func.func @fwht_block64(%x: tensor<4x576xf32>, %y: tensor<4x512xf32>)
    -> (tensor<4x576xi8>, tensor<4x512xf32>) {
  %r = itq3.fwht %x block(64) signs(7) : tensor<4x576xf32>
  %v, %s = itq3.quantize_act %r rotate block(64) signs(7) : tensor<4x576xf32> -> tensor<4x576xi8>, tensor<4x18xf32>
  %t = itq3.fwht %y block(256) : tensor<4x512xf32>
  return %v, %t : tensor<4x576xi8>, tensor<4x512xf32>
}

// CHECK-LABEL: func @quantize_dequantize
// CHECK: %[[Q:.*]] = itq3.quantize %{{.*}} : tensor<16x256xf32> -> !itq3.packed<16x256, iq3>
// CHECK: itq3.dequantize %[[Q]] : !itq3.packed<16x256, iq3> -> tensor<16x256xf16>
func.func @quantize_dequantize(%w: tensor<16x256xf32>) -> tensor<16x256xf16> {
  %q = itq3.quantize %w : tensor<16x256xf32> -> !itq3.packed<16x256, iq3>
  %d = itq3.dequantize %q : !itq3.packed<16x256, iq3> -> tensor<16x256xf16>
  return %d : tensor<16x256xf16>
}

// CHECK-LABEL: func @constant
// CHECK: itq3.constant dense<1> : tensor<2x18xi8> -> !itq3.packed<2x32, q4>
func.func @constant() -> !itq3.packed<2x32, q4> {
  %c = itq3.constant dense<1> : tensor<2x18xi8> -> !itq3.packed<2x32, q4>
  return %c : !itq3.packed<2x32, q4>
}

// CHECK-LABEL: func @quantize_act
// CHECK: itq3.quantize_act %{{.*}} : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x8xf32>
func.func @quantize_act(%x: tensor<?x256xf32>) -> (tensor<?x256xi8>, tensor<?x8xf32>) {
  %v, %s = itq3.quantize_act %x : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x8xf32>
  return %v, %s : tensor<?x256xi8>, tensor<?x8xf32>
}

// CHECK-LABEL: func @quantize_act_rotate
// CHECK: itq3.quantize_act %{{.*}} rotate signs(7) : tensor<2x512xf32> -> tensor<2x512xi8>, tensor<2x16xf32>
func.func @quantize_act_rotate(%x: tensor<2x512xf32>) -> (tensor<2x512xi8>, tensor<2x16xf32>) {
  %v, %s = itq3.quantize_act %x rotate signs(7) : tensor<2x512xf32> -> tensor<2x512xi8>, tensor<2x16xf32>
  return %v, %s : tensor<2x512xi8>, tensor<2x16xf32>
}

// TWLA's activations: a Kronecker rotation (which the canonicalizer folds
// into the quantizer, fold.mlir) and 4-bit codes.
// CHECK-LABEL: func @twla_activations
// CHECK: %[[R:.*]] = itq3.kron_rotate %{{.*}} by %{{.*}}, %{{.*}} : tensor<?x576xf32>, tensor<32x32xf32>, tensor<18x18xf32>
// CHECK: itq3.quantize_act %[[R]] bits(4) clip(8.500000e-01) : tensor<?x576xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
// CHECK: itq3.quantize_act %{{.*}} kron(%{{.*}}, %{{.*}}) bits(3) : tensor<?x576xf32>, tensor<32x32xf32>, tensor<18x18xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
func.func @twla_activations(%x: tensor<?x576xf32>, %c: tensor<32x32xf32>, %b: tensor<18x18xf32>)
    -> (tensor<?x576xi8>, tensor<?x18xf32>, tensor<?x576xi8>, tensor<?x18xf32>) {
  %r = itq3.kron_rotate %x by %c, %b : tensor<?x576xf32>, tensor<32x32xf32>, tensor<18x18xf32>
  %v, %s = itq3.quantize_act %r bits(4) clip(0.85) : tensor<?x576xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
  %w, %t = itq3.quantize_act %x kron(%c, %b) bits(3) : tensor<?x576xf32>, tensor<32x32xf32>, tensor<18x18xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
  return %v, %s, %w, %t : tensor<?x576xi8>, tensor<?x18xf32>, tensor<?x576xi8>, tensor<?x18xf32>
}

// CHECK-LABEL: func @matmul_weight_rotation
// CHECK: itq3.matmul %{{.*}}, %{{.*}} rotation<weight> : tensor<1x256xf32>, !itq3.packed<64x256, itq3_s> -> tensor<1x64xf32>
func.func @matmul_weight_rotation(%x: tensor<1x256xf32>, %w: !itq3.packed<64x256, itq3_s>) -> tensor<1x64xf32> {
  %y = itq3.matmul %x, %w rotation<weight> : tensor<1x256xf32>, !itq3.packed<64x256, itq3_s> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// CHECK-LABEL: func @matmul_int8_activation_rotation
// CHECK: %[[V:.*]], %[[S:.*]] = itq3.quantize_act
// CHECK: itq3.matmul %[[V]], %{{.*}} scales %[[S]] rotation<activation> : tensor<?x256xi8>, !itq3.packed<64x256, itq3_s, seed = 3>, tensor<?x8xf32> -> tensor<?x64xf32>
func.func @matmul_int8_activation_rotation(%x: tensor<?x256xf32>, %w: !itq3.packed<64x256, itq3_s, seed = 3>) -> tensor<?x64xf32> {
  %r = itq3.fwht %x signs(3) : tensor<?x256xf32>
  %v, %s = itq3.quantize_act %r : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x8xf32>
  %y = itq3.matmul %v, %w scales %s rotation<activation> : tensor<?x256xi8>, !itq3.packed<64x256, itq3_s, seed = 3>, tensor<?x8xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func @matmul_unrotated
// CHECK: itq3.matmul %{{.*}}, %{{.*}} rotation<none> : tensor<3x64xbf16>, !itq3.packed<5x64, q8> -> tensor<3x5xf32>
func.func @matmul_unrotated(%x: tensor<3x64xbf16>, %w: !itq3.packed<5x64, q8>) -> tensor<3x5xf32> {
  %y = itq3.matmul %x, %w rotation<none> : tensor<3x64xbf16>, !itq3.packed<5x64, q8> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// CHECK-LABEL: func @matmul_into
// CHECK: itq3.matmul_into %{{.*}}, %{{.*}} into %{{.*}} format<itq3_s, seed = 3> rotation<weight> : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
// CHECK: itq3.matmul_into %{{.*}}, %{{.*}} into %{{.*}} scales %{{.*}} format<q4> rotation<none> : memref<?x256xi8>, memref<100x144xi8>, memref<?x100xf32>, memref<?x8xf32>
func.func @matmul_into(%x: memref<?x512xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>,
                       %xq: memref<?x256xi8>, %s: memref<?x8xf32>, %w4: memref<100x144xi8>, %y4: memref<?x100xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s, seed = 3> rotation<weight>
    : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
  itq3.matmul_into %xq, %w4 into %y4 scales %s format<q4> rotation<none>
    : memref<?x256xi8>, memref<100x144xi8>, memref<?x100xf32>, memref<?x8xf32>
  return
}

// CHECK-LABEL: func @matmul_into_accumulate
// CHECK: itq3.matmul_into %{{.*}}, %{{.*}} into %{{.*}} format<q8> rotation<none> accumulate : memref<?x64xf32>, memref<5x68xi8>, memref<?x5xf32>
func.func @matmul_into_accumulate(%x: memref<?x64xf32>, %w: memref<5x68xi8>, %y: memref<?x5xf32>) {
  itq3.matmul_into %x, %w into %y format<q8> rotation<none> accumulate
    : memref<?x64xf32>, memref<5x68xi8>, memref<?x5xf32>
  return
}

// CHECK-LABEL: func @twin_matmul_into
// CHECK: itq3.twin_matmul_into %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}} format<q4> factors<q4> rotation<none> : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x256xf32>
// CHECK: itq3.twin_matmul_into %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}} scales %{{.*}} format<itq3_s, seed = 5> factors<q8> rotation<activation> : memref<?x512xi8>, memref<?x220xi8>, memref<16x68xi8>, memref<16x544xi8>, memref<?x?xf32>, memref<?x16xf32>
func.func @twin_matmul_into(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<24x864xi8>, %y: memref<?x256xf32>,
                            %xq: memref<?x512xi8>, %s: memref<?x16xf32>, %r3: memref<?x220xi8>, %ut8: memref<16x68xi8>, %v8: memref<16x544xi8>, %y3: memref<?x?xf32>) {
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x256xf32>
  itq3.twin_matmul_into %xq, %r3, %ut8, %v8 into %y3 scales %s format<itq3_s, seed = 5> factors<q8> rotation<activation>
    : memref<?x512xi8>, memref<?x220xi8>, memref<16x68xi8>, memref<16x544xi8>, memref<?x?xf32>, memref<?x16xf32>
  return
}

// CHECK-LABEL: func @lowrank_expand_into
// CHECK: itq3.lowrank_expand_into %{{.*}}, %{{.*}}[%{{.*}}] into %{{.*}} factors<q4> : memref<?x24xf32>, memref<24x144xi8>, memref<?x32xf32, strided<[256, 1], offset: ?>>
func.func @lowrank_expand_into(%t: memref<?x24xf32>, %ut: memref<24x144xi8>, %n0: index, %y: memref<?x32xf32, strided<[256, 1], offset: ?>>) {
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q4>
    : memref<?x24xf32>, memref<24x144xi8>, memref<?x32xf32, strided<[256, 1], offset: ?>>
  return
}

// CHECK-LABEL: func @dot_i8
// CHECK: itq3.dot_i8 %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}, %{{.*}}] length(32) : memref<32x256xi8>, memref<?x4096xi8>
func.func @dot_i8(%a: memref<32x256xi8>, %b: memref<?x4096xi8>, %i: index, %j: index) -> i32 {
  %d = itq3.dot_i8 %a[%i, %j], %b[%i, %j] length(32) : memref<32x256xi8>, memref<?x4096xi8>
  return %d : i32
}

// CHECK-LABEL: func @quantize_act_into
// CHECK: itq3.quantize_act_into %{{.*}} into %{{.*}}, %{{.*}} rotate signs(7) : memref<?x512xf32>, memref<?x512xi8>, memref<?x16xf32>
// CHECK: itq3.quantize_act_into %{{.*}} into %{{.*}}, %{{.*}} : memref<2x96xf32>, memref<2x96xi8>, memref<2x3xf32>
// CHECK: itq3.quantize_act_into %{{.*}} into %{{.*}}, %{{.*}} rotate block(64) : memref<1x576xf32>, memref<1x576xi8>, memref<1x18xf32>
// CHECK: itq3.quantize_act_into %{{.*}} into %{{.*}}, %{{.*}} bits(4) : memref<2x96xf32>, memref<2x96xi8>, memref<2x3xf32>
func.func @quantize_act_into(%x: memref<?x512xf32>, %q: memref<?x512xi8>, %s: memref<?x16xf32>,
                             %y: memref<2x96xf32>, %r: memref<2x96xi8>, %t: memref<2x3xf32>,
                             %z: memref<1x576xf32>, %zq: memref<1x576xi8>, %zs: memref<1x18xf32>) {
  itq3.quantize_act_into %x into %q, %s rotate signs(7) : memref<?x512xf32>, memref<?x512xi8>, memref<?x16xf32>
  itq3.quantize_act_into %y into %r, %t : memref<2x96xf32>, memref<2x96xi8>, memref<2x3xf32>
  itq3.quantize_act_into %z into %zq, %zs rotate block(64) : memref<1x576xf32>, memref<1x576xi8>, memref<1x18xf32>
  itq3.quantize_act_into %y into %r, %t bits(4) : memref<2x96xf32>, memref<2x96xi8>, memref<2x3xf32>
  return
}

// CHECK-LABEL: func @mma
// CHECK: itq3.mma %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}, %{{.*}}] into %{{.*}}[%{{.*}}, %{{.*}}] length(32) : memref<16x256xi8>, memref<32x256xi8>, memref<128x32xi32>
// CHECK: itq3.mma %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}}[%{{.*}}, %{{.*}}] into %{{.*}}[%{{.*}}, %{{.*}}] length(256) accumulate : memref<16x256xf16>, memref<16x256xf16>, memref<16x16xf32>
func.func @mma(%x: memref<16x256xi8>, %w: memref<32x256xi8>, %d: memref<128x32xi32>,
               %xh: memref<16x256xf16>, %wh: memref<16x256xf16>, %acc: memref<16x16xf32>, %i: index) {
  itq3.mma %x[%i, %i], %w[%i, %i] into %d[%i, %i] length(32) : memref<16x256xi8>, memref<32x256xi8>, memref<128x32xi32>
  itq3.mma %xh[%i, %i], %wh[%i, %i] into %acc[%i, %i] length(256) accumulate : memref<16x256xf16>, memref<16x256xf16>, memref<16x16xf32>
  return
}

// CHECK-LABEL: func @stage_fwht
// CHECK: itq3.stage_fwht %{{.*}} rows(%{{.*}}) : memref<32x256xf32>
func.func @stage_fwht(%stage: memref<32x256xf32>, %n: index) {
  itq3.stage_fwht %stage rows(%n) : memref<32x256xf32>
  return
}
