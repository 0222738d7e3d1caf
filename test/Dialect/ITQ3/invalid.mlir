// RUN: itq3-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown weight format 'q5'; expected f16, q8, q4, q3, q3r, iq3, itq3_s, ptqtp, twla or itq3_s64}}
func.func @unknown_format() attributes {f = #itq3.format<q5>}

// -----

// expected-error @+1 {{format 'q4' has no rotation, so it takes no sign seed}}
func.func @seed_without_rotation() attributes {f = #itq3.format<q4, seed = 1>}

// -----

// expected-error @+1 {{packed weight must be 2-D [N, K], got rank 3}}
func.func @packed_rank(%w: !itq3.packed<2x64x256, itq3_s>)

// -----

// expected-error @+1 {{packed weight dimensions must be positive, got 0x256}}
func.func @packed_empty(%w: !itq3.packed<0x256, itq3_s>)

// -----

// expected-error @+1 {{K = 100 is not a multiple of the itq3_s block size 256}}
func.func @packed_block(%w: !itq3.packed<4x100, itq3_s>)

// -----

// expected-error @+1 {{K = 48 is not a multiple of the q4 block size 32}}
func.func @packed_block_q4(%w: !itq3.packed<4x48, q4>)

// -----

// 576 (SmolLM2's hidden size) is 4.5 blocks of 128: such linears fall back.
// expected-error @+1 {{K = 576 is not a multiple of the ptqtp block size 128}}
func.func @packed_block_ptqtp(%w: !itq3.packed<4x576, ptqtp>)

// -----

// expected-error @+1 {{K = 96 is not a multiple of the twla block size 64}}
func.func @packed_block_twla(%w: !itq3.packed<4x96, twla>)

// -----

// twla's rotation is a Kronecker product applied outside the format.
// expected-error @+1 {{format 'twla' has no rotation, so it takes no sign seed}}
func.func @twla_seed(%w: !itq3.packed<4x64, twla, seed = 3>)

// -----

// expected-error @+1 {{format 'ptqtp' has no rotation, so it takes no sign seed}}
func.func @ptqtp_seed(%w: !itq3.packed<4x128, ptqtp, seed = 3>)

// -----

func.func @matmul_ptqtp_weight_rotation(%x: tensor<1x128xf32>, %w: !itq3.packed<8x128, ptqtp>) {
  // expected-error @+1 {{format 'ptqtp' has no rotation; use rotation<none>}}
  %y = itq3.matmul %x, %w rotation<weight> : tensor<1x128xf32>, !itq3.packed<8x128, ptqtp> -> tensor<1x8xf32>
  return
}

// -----

func.func @constant_bytes() {
  // expected-error @+1 {{value must have type 'tensor<2x18xi8>' (the stored bytes of '!itq3.packed<2x32, q4>'), got 'tensor<2x17xi8>'}}
  %c = itq3.constant dense<0> : tensor<2x17xi8> -> !itq3.packed<2x32, q4>
  return
}

// -----

func.func @fwht_block(%x: tensor<4x100xf32>) {
  // expected-error @+1 {{last dimension must be a static multiple of 256, got 'tensor<4x100xf32>'}}
  %r = itq3.fwht %x : tensor<4x100xf32>
  return
}

// -----

func.func @fwht_dynamic(%x: tensor<4x?xf32>) {
  // expected-error @+1 {{last dimension must be a static multiple of 256}}
  %r = itq3.fwht %x : tensor<4x?xf32>
  return
}

// -----

func.func @fwht_block_of_64(%x: tensor<4x96xf32>) {
  // expected-error @+1 {{last dimension must be a static multiple of 64, got 'tensor<4x96xf32>'}}
  %r = itq3.fwht %x block(64) : tensor<4x96xf32>
  return
}

// -----

func.func @fwht_block_size(%x: tensor<4x512xf32>) {
  // expected-error @+1 {{block must be 64 or 256, got 128}}
  %r = itq3.fwht %x block(128) : tensor<4x512xf32>
  return
}

// -----

func.func @fwht_seed(%x: tensor<256xf32>) {
  // expected-error @+1 {{sign seed must be non-zero (omit signs for none)}}
  %r = itq3.fwht %x signs(0) : tensor<256xf32>
  return
}

// -----

func.func @quantize_shape(%w: tensor<8x256xf32>) {
  // expected-error @+1 {{tensor shape [8, 256] does not match the packed shape [4, 256]}}
  %q = itq3.quantize %w : tensor<8x256xf32> -> !itq3.packed<4x256, itq3_s>
  return
}

// -----

func.func @quantize_element(%w: tensor<4x256xi32>) {
  // expected-error @+1 {{operand #0 must be 2D tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %q = itq3.quantize %w : tensor<4x256xi32> -> !itq3.packed<4x256, itq3_s>
  return
}

// -----

func.func @dequantize_shape(%q: !itq3.packed<4x256, iq3>) {
  // expected-error @+1 {{tensor shape [4, 512] does not match the packed shape [4, 256]}}
  %w = itq3.dequantize %q : !itq3.packed<4x256, iq3> -> tensor<4x512xf32>
  return
}

// -----

func.func @quantize_act_block(%x: tensor<2x48xf32>) {
  // expected-error @+1 {{K must be a static multiple of 32, got 48}}
  %v, %s = itq3.quantize_act %x : tensor<2x48xf32> -> tensor<2x48xi8>, tensor<2x1xf32>
  return
}

// -----

func.func @quantize_act_values(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{values must have the input's shape [2, 64]}}
  %v, %s = itq3.quantize_act %x : tensor<2x64xf32> -> tensor<2x32xi8>, tensor<2x2xf32>
  return
}

// -----

func.func @quantize_act_scales(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{scales must have shape [2, 2] (one per 32 values), got [2, 4]}}
  %v, %s = itq3.quantize_act %x : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2x4xf32>
  return
}

// -----

func.func @matmul_k(%x: tensor<1x512xf32>, %w: !itq3.packed<8x256, q8>) {
  // expected-error @+1 {{input K = 512 does not match the weight's K = 256}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<1x512xf32>, !itq3.packed<8x256, q8> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<2x256xf32>, %w: !itq3.packed<8x256, q8>) {
  // expected-error @+1 {{result must have shape [2, 8], got [2, 16]}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<2x256xf32>, !itq3.packed<8x256, q8> -> tensor<2x16xf32>
  return
}

// -----

func.func @matmul_rotated_none(%x: tensor<1x256xf32>, %w: !itq3.packed<8x256, itq3_s>) {
  // expected-error @+1 {{a rotated format needs rotation<weight> or rotation<activation>}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<1x256xf32>, !itq3.packed<8x256, itq3_s> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_unrotated_weight(%x: tensor<1x256xf32>, %w: !itq3.packed<8x256, iq3>) {
  // expected-error @+1 {{format 'iq3' has no rotation; use rotation<none>}}
  %y = itq3.matmul %x, %w rotation<weight> : tensor<1x256xf32>, !itq3.packed<8x256, iq3> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_float_scales(%x: tensor<1x256xf32>, %s: tensor<1x8xf32>, %w: !itq3.packed<8x256, q4>) {
  // expected-error @+1 {{float activations take no scales}}
  %y = itq3.matmul %x, %w scales %s rotation<none> : tensor<1x256xf32>, !itq3.packed<8x256, q4>, tensor<1x8xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_int8_no_scales(%x: tensor<1x256xi8>, %w: !itq3.packed<8x256, q4>) {
  // expected-error @+1 {{int8 activations need their per-32 scales}}
  %y = itq3.matmul %x, %w rotation<none> : tensor<1x256xi8>, !itq3.packed<8x256, q4> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_int8_weight_rotation(%x: tensor<1x256xi8>, %s: tensor<1x8xf32>, %w: !itq3.packed<8x256, itq3_s>) {
  // expected-error @+1 {{int8 activations cannot use rotation<weight>: rotate the activations instead}}
  %y = itq3.matmul %x, %w scales %s rotation<weight> : tensor<1x256xi8>, !itq3.packed<8x256, itq3_s>, tensor<1x8xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_int8_k(%x: tensor<1x40xi8>, %s: tensor<1x1xf32>, %w: !itq3.packed<8x40, f16>) {
  // expected-error @+1 {{int8 activations need K to be a multiple of 32, got 40}}
  %y = itq3.matmul %x, %w scales %s rotation<none> : tensor<1x40xi8>, !itq3.packed<8x40, f16>, tensor<1x1xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @quantize_act_rotate_block(%x: tensor<2x96xf32>) {
  // expected-error @+1 {{K must be a static multiple of 256, got 96}}
  %v, %s = itq3.quantize_act %x rotate : tensor<2x96xf32> -> tensor<2x96xi8>, tensor<2x3xf32>
  return
}

// -----

func.func @quantize_act_rotate_block64(%x: tensor<2x96xf32>) {
  // expected-error @+1 {{K must be a static multiple of 64, got 96}}
  %v, %s = itq3.quantize_act %x rotate block(64) : tensor<2x96xf32> -> tensor<2x96xi8>, tensor<2x3xf32>
  return
}

// -----

func.func @quantize_act_block_without_rotate(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{block(n) needs rotate}}
  %v, %s = itq3.quantize_act %x block(64) : tensor<2x256xf32> -> tensor<2x256xi8>, tensor<2x8xf32>
  return
}

// -----

func.func @quantize_act_signs(%x: tensor<2x256xf32>) {
  // expected-error @+1 {{signs(seed) needs rotate}}
  %v, %s = itq3.quantize_act %x signs(5) : tensor<2x256xf32> -> tensor<2x256xi8>, tensor<2x8xf32>
  return
}

// -----

func.func @matmul_int8_scales(%x: tensor<1x256xi8>, %s: tensor<1x4xf32>, %w: !itq3.packed<8x256, q8>) {
  // expected-error @+1 {{scales must have shape [1, 8], got [1, 4]}}
  %y = itq3.matmul %x, %w scales %s rotation<none> : tensor<1x256xi8>, !itq3.packed<8x256, q8>, tensor<1x4xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_into_k(%x: memref<1x100xf32>, %w: memref<8x110xi8>, %y: memref<1x8xf32>) {
  // expected-error @+1 {{input K must be a static multiple of the itq3_s block size 256, got 100}}
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight> : memref<1x100xf32>, memref<8x110xi8>, memref<1x8xf32>
  return
}

// -----

func.func @matmul_into_row_bytes(%x: memref<1x512xf32>, %w: memref<8x110xi8>, %y: memref<1x8xf32>) {
  // expected-error @+1 {{weight rows must hold 220 bytes for K = 512, got 110}}
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight> : memref<1x512xf32>, memref<8x110xi8>, memref<1x8xf32>
  return
}

// -----

func.func @matmul_into_result(%x: memref<2x256xf32>, %w: memref<8x110xi8>, %y: memref<2x4xf32>) {
  // expected-error @+1 {{result must have shape [2, 8], got [2, 4]}}
  itq3.matmul_into %x, %w into %y format<iq3> rotation<none> : memref<2x256xf32>, memref<8x110xi8>, memref<2x4xf32>
  return
}

// -----

func.func @matmul_into_rules(%x: memref<1x256xi8>, %s: memref<1x8xf32>, %w: memref<8x110xi8>, %y: memref<1x8xf32>) {
  // expected-error @+1 {{int8 activations cannot use rotation<weight>: rotate the activations instead}}
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<weight> : memref<1x256xi8>, memref<8x110xi8>, memref<1x8xf32>, memref<1x8xf32>
  return
}

// -----

func.func @dot_i8_length(%a: memref<4x64xi8>, %i: index) -> i32 {
  // expected-error @+1 {{length must be a multiple of 4, got 6}}
  %d = itq3.dot_i8 %a[%i, %i], %a[%i, %i] length(6) : memref<4x64xi8>, memref<4x64xi8>
  return %d : i32
}

// -----

func.func @dot_i8_strided(%a: memref<4x64xi8, strided<[1, 4]>>, %i: index) -> i32 {
  // expected-error @+1 {{rows must be contiguous, got 'memref<4x64xi8, strided<[1, 4]>>'}}
  %d = itq3.dot_i8 %a[%i, %i], %a[%i, %i] length(8) : memref<4x64xi8, strided<[1, 4]>>, memref<4x64xi8, strided<[1, 4]>>
  return %d : i32
}

// -----

func.func @quantize_act_into_rotate_block(%x: memref<1x96xf32>, %q: memref<1x96xi8>, %s: memref<1x3xf32>) {
  // expected-error @+1 {{K must be a static multiple of 256, got 96}}
  itq3.quantize_act_into %x into %q, %s rotate : memref<1x96xf32>, memref<1x96xi8>, memref<1x3xf32>
  return
}

// -----

func.func @quantize_act_into_block_size(%x: memref<1x256xf32>, %q: memref<1x256xi8>, %s: memref<1x8xf32>) {
  // expected-error @+1 {{block must be 64 or 256, got 32}}
  itq3.quantize_act_into %x into %q, %s rotate block(32) : memref<1x256xf32>, memref<1x256xi8>, memref<1x8xf32>
  return
}

// -----

func.func @quantize_act_into_signs(%x: memref<1x256xf32>, %q: memref<1x256xi8>, %s: memref<1x8xf32>) {
  // expected-error @+1 {{signs(seed) needs rotate}}
  itq3.quantize_act_into %x into %q, %s signs(3) : memref<1x256xf32>, memref<1x256xi8>, memref<1x8xf32>
  return
}

// -----

func.func @quantize_act_into_scales(%x: memref<1x256xf32>, %q: memref<1x256xi8>, %s: memref<1x4xf32>) {
  // expected-error @+1 {{scales must have shape [1, 8] (one per 32 values), got [1, 4]}}
  itq3.quantize_act_into %x into %q, %s : memref<1x256xf32>, memref<1x256xi8>, memref<1x4xf32>
  return
}

// -----

func.func @mma_mixed(%x: memref<16x32xi8>, %w: memref<8x32xf16>, %d: memref<16x8xi32>, %i: index) {
  // expected-error @+1 {{lhs and rhs must have the same element type}}
  itq3.mma %x[%i, %i], %w[%i, %i] into %d[%i, %i] length(32) : memref<16x32xi8>, memref<8x32xf16>, memref<16x8xi32>
  return
}

// -----

func.func @mma_accumulator(%x: memref<16x32xf16>, %w: memref<8x32xf16>, %d: memref<16x8xi32>, %i: index) {
  // expected-error @+1 {{accumulator of 'f16' products must be 'f32'}}
  itq3.mma %x[%i, %i], %w[%i, %i] into %d[%i, %i] length(32) : memref<16x32xf16>, memref<8x32xf16>, memref<16x8xi32>
  return
}

// -----

func.func @mma_length(%x: memref<16x32xi8>, %w: memref<8x32xi8>, %d: memref<16x8xi32>, %i: index) {
  // expected-error @+1 {{length must be a multiple of 32, got 16}}
  itq3.mma %x[%i, %i], %w[%i, %i] into %d[%i, %i] length(16) : memref<16x32xi8>, memref<8x32xi8>, memref<16x8xi32>
  return
}

// -----

func.func @stage_fwht_width(%stage: memref<32x128xf32>, %n: index) {
  // expected-error @+1 {{rows must be 64 or 256 wide, got 'memref<32x128xf32>'}}
  itq3.stage_fwht %stage rows(%n) : memref<32x128xf32>
  return
}

// -----

func.func @kron_factor_sizes(%x: tensor<1x576xf32>, %c: tensor<32x32xf32>, %b: tensor<16x16xf32>) {
  // expected-error @+1 {{Kronecker factors of sizes 32 and 16 do not multiply to K = 576}}
  %r = itq3.kron_rotate %x by %c, %b : tensor<1x576xf32>, tensor<32x32xf32>, tensor<16x16xf32>
  return
}

// -----

func.func @kron_factor_square(%x: tensor<1x576xf32>, %c: tensor<32x18xf32>, %b: tensor<18x18xf32>) {
  // expected-error @+1 {{Kronecker factors must be static square matrices}}
  %r = itq3.kron_rotate %x by %c, %b : tensor<1x576xf32>, tensor<32x18xf32>, tensor<18x18xf32>
  return
}

// -----

func.func @two_rotations(%x: tensor<1x512xf32>, %c: tensor<32x32xf32>, %b: tensor<16x16xf32>) {
  // expected-error @+1 {{rotate and kron are two rotations: give one}}
  %v, %s = itq3.quantize_act %x rotate kron(%c, %b) : tensor<1x512xf32>, tensor<32x32xf32>, tensor<16x16xf32> -> tensor<1x512xi8>, tensor<1x16xf32>
  return
}

// -----

func.func @quantize_act_kron_sizes(%x: tensor<1x576xf32>, %c: tensor<32x32xf32>, %b: tensor<16x16xf32>) {
  // expected-error @+1 {{Kronecker factors of sizes 32 and 16 do not multiply to K = 576}}
  %v, %s = itq3.quantize_act %x kron(%c, %b) : tensor<1x576xf32>, tensor<32x32xf32>, tensor<16x16xf32> -> tensor<1x576xi8>, tensor<1x18xf32>
  return
}

// -----

// 8-bit asymmetric codes q - z reach 255: not an int8.
func.func @eight_bit_codes(%x: tensor<1x64xf32>) {
  // expected-error @+1 {{bits must be in [2, 7] (the codes q - z must fit int8), got 8}}
  %v, %s = itq3.quantize_act %x bits(8) : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1x2xf32>
  return
}

// -----

func.func @clip_without_bits(%x: tensor<1x64xf32>) {
  // expected-error @+1 {{clip(c) needs bits(b)}}
  %v, %s = itq3.quantize_act %x clip(0.9) : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1x2xf32>
  return
}

// -----

func.func @clip_range(%x: tensor<1x64xf32>) {
  // expected-error @+1 {{clip must be in (0, 1], got 1.5}}
  %v, %s = itq3.quantize_act %x bits(4) clip(1.5) : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1x2xf32>
  return
}

// -----

// The factors are q8 or q4 blocks along N and K.
func.func @twin_factors_format(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<24x864xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{factors are stored in q8 or q4, got iq3}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<iq3> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_residual_bytes(%x: memref<?x1536xf32>, %r: memref<256x860xi8>, %ut: memref<24x144xi8>, %v: memref<24x864xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{residual rows must hold 864 bytes for K = 1536, got 860}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x860xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_rank(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<16x864xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{U^T and V need the same static rank, got 24 and 16}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<16x864xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_dynamic_rank(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<?x864xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{U^T and V need the same static rank, got 24 and ?}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<?x864xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_v_bytes(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<24x1632xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{V rows must hold 864 bytes for K = 1536, got 1632}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<24x1632xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_ut_bytes(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x272xi8>, %v: memref<24x864xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{U^T rows must hold N / 32 factor blocks, N a multiple of 32; got N = 256 and rows of 272 bytes}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x272xi8>, memref<24x864xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_n_multiple(%x: memref<?x1536xf32>, %r: memref<100x864xi8>, %ut: memref<24x144xi8>, %v: memref<24x864xi8>, %y: memref<?x100xf32>) {
  // expected-error @+1 {{U^T rows must hold N / 32 factor blocks, N a multiple of 32; got N = 100 and rows of 144 bytes}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<100x864xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x100xf32>
  return
}

// -----

func.func @twin_result_shape(%x: memref<?x1536xf32>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<24x864xi8>, %y: memref<?x128xf32>) {
  // expected-error @+1 {{result must have shape [?, 256], got [?, 128]}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x128xf32>
  return
}

// -----

// The residual follows the product rules of itq3.matmul.
func.func @twin_rotation(%x: memref<?x512xf32>, %r: memref<256x220xi8>, %ut: memref<16x272xi8>, %v: memref<16x544xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{a rotated format needs rotation<weight> or rotation<activation>}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<itq3_s> factors<q8> rotation<none>
    : memref<?x512xf32>, memref<256x220xi8>, memref<16x272xi8>, memref<16x544xi8>, memref<?x256xf32>
  return
}

// -----

func.func @twin_int8_scales(%x: memref<?x1536xi8>, %r: memref<256x864xi8>, %ut: memref<24x144xi8>, %v: memref<24x864xi8>, %y: memref<?x256xf32>) {
  // expected-error @+1 {{int8 activations need their per-32 scales}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4> rotation<none>
    : memref<?x1536xi8>, memref<256x864xi8>, memref<24x144xi8>, memref<24x864xi8>, memref<?x256xf32>
  return
}

// -----

func.func @expand_factors(%t: memref<?x24xf32>, %ut: memref<24x102xi8>, %n0: index, %y: memref<?x64xf32>) {
  // expected-error @+1 {{factors are stored in q8 or q4, got twla}}
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<twla>
    : memref<?x24xf32>, memref<24x102xi8>, memref<?x64xf32>
  return
}

// -----

func.func @expand_rank(%t: memref<?x24xf32>, %ut: memref<16x102xi8>, %n0: index, %y: memref<?x64xf32>) {
  // expected-error @+1 {{t [M, rank] and U^T [rank, N bytes] need the same static rank, got 24 and 16}}
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<?x24xf32>, memref<16x102xi8>, memref<?x64xf32>
  return
}

// -----

func.func @expand_dynamic_rank(%t: memref<?x?xf32>, %ut: memref<24x102xi8>, %n0: index, %y: memref<?x64xf32>) {
  // expected-error @+1 {{t [M, rank] and U^T [rank, N bytes] need the same static rank, got ? and 24}}
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<?x?xf32>, memref<24x102xi8>, memref<?x64xf32>
  return
}

// -----

func.func @expand_blocks(%t: memref<?x24xf32>, %ut: memref<24x100xi8>, %n0: index, %y: memref<?x64xf32>) {
  // expected-error @+1 {{U^T rows must hold whole 34-byte blocks, got 100 bytes}}
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<?x24xf32>, memref<24x100xi8>, memref<?x64xf32>
  return
}

// -----

func.func @expand_columns(%t: memref<?x24xf32>, %ut: memref<24x102xi8>, %n0: index, %y: memref<?x48xf32>) {
  // expected-error @+1 {{the result's columns must be a multiple of 32 (whole blocks of U^T), got 48}}
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<?x24xf32>, memref<24x102xi8>, memref<?x48xf32>
  return
}

// -----

func.func @expand_rows(%t: memref<8x24xf32>, %ut: memref<24x102xi8>, %n0: index, %y: memref<4x64xf32>) {
  // expected-error @+1 {{result must have t's 8 rows, got 4}}
  itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
    : memref<8x24xf32>, memref<24x102xi8>, memref<4x64xf32>
  return
}
