// RUN: itq3-opt %s -split-input-file -verify-diagnostics

func.func @embed_rotated(%t: memref<512x110xi8>, %ids: memref<?xi32>, %x: memref<?x256xf32>) {
  // expected-error @+1 {{the table's format must be unrotated, got itq3_s}}
  itq3.embed_into %t[%ids] into %x format<itq3_s> : memref<512x110xi8>, memref<?xi32>, memref<?x256xf32>
  return
}

// -----

func.func @embed_row_bytes(%t: memref<512x64xi8>, %ids: memref<?xi32>, %x: memref<?x64xf32>) {
  // expected-error @+1 {{table rows must hold 68 bytes for 64 columns, got 64}}
  itq3.embed_into %t[%ids] into %x format<q8> : memref<512x64xi8>, memref<?xi32>, memref<?x64xf32>
  return
}

// -----

func.func @embed_rows(%t: memref<512x68xi8>, %ids: memref<3xi32>, %x: memref<4x64xf32>) {
  // expected-error @+1 {{one result row per token expected}}
  itq3.embed_into %t[%ids] into %x format<q8> : memref<512x68xi8>, memref<3xi32>, memref<4x64xf32>
  return
}

// -----

func.func @norm_weight(%x: memref<?x64xf32>, %w: memref<32xf32>) {
  // expected-error @+1 {{weight must have 64 elements, got 32}}
  itq3.rms_norm_into %x, %w into %x eps(1.0e-05) : memref<?x64xf32>, memref<32xf32>, memref<?x64xf32>
  return
}

// -----

func.func @norm_eps(%x: memref<?x64xf32>, %w: memref<64xf32>) {
  // expected-error @+1 {{eps must be non-negative}}
  itq3.rms_norm_into %x, %w into %x eps(-1.0) : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
  return
}

// -----

func.func @norm_rows(%x: memref<3x64xf32>, %w: memref<64xf32>, %o: memref<4x64xf32>) {
  // expected-error @+1 {{operands must have the same number of rows, got 3 and 4}}
  itq3.rms_norm_into %x, %w into %o eps(1.0e-05) : memref<3x64xf32>, memref<64xf32>, memref<4x64xf32>
  return
}

// -----

func.func @rope_odd(%x: memref<?x63xf32>, %pos: index) {
  // expected-error @+1 {{head_dim must be even, got 7}}
  itq3.rope %x at %pos head_dim(7) base(1.0e+04) : memref<?x63xf32>
  return
}

// -----

func.func @rope_width(%x: memref<?x60xf32>, %pos: index) {
  // expected-error @+1 {{row width must be a static multiple of head_dim 8, got 60}}
  itq3.rope %x at %pos head_dim(8) base(1.0e+04) : memref<?x60xf32>
  return
}

// -----

func.func @rope_base(%x: memref<?x64xf32>, %pos: index) {
  // expected-error @+1 {{base must be positive}}
  itq3.rope %x at %pos head_dim(8) base(0.0) : memref<?x64xf32>
  return
}

// -----

func.func @attention_groups(%q: memref<?x56xf32>, %k: memref<?x24xf32>, %kc: memref<16x24xf32>, %pos: index) {
  // expected-error @+1 {{heads (7) must be a multiple of kv_heads (3)}}
  itq3.attention_into %q, %k, %k, %kc, %kc at %pos into %q heads(7) kv_heads(3) head_dim(8)
    : memref<?x56xf32>, memref<?x24xf32>, memref<?x24xf32>, memref<16x24xf32>, memref<16x24xf32>, memref<?x56xf32>
  return
}

// -----

func.func @attention_cache(%q: memref<?x64xf32>, %k: memref<?x32xf32>, %kc: memref<16x64xf32>, %pos: index) {
  // expected-error @+1 {{key cache must have 32 columns, got 64}}
  itq3.attention_into %q, %k, %k, %kc, %kc at %pos into %q heads(8) kv_heads(4) head_dim(8)
    : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<16x64xf32>, memref<16x64xf32>, memref<?x64xf32>
  return
}

// -----

func.func @attention_positions(%q: memref<?x64xf32>, %k: memref<?x32xf32>, %kc: memref<16x32xf32>, %vc: memref<8x32xf32>, %pos: index) {
  // expected-error @+1 {{key and value caches must hold the same positions}}
  itq3.attention_into %q, %k, %k, %kc, %vc at %pos into %q heads(8) kv_heads(4) head_dim(8)
    : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<16x32xf32>, memref<8x32xf32>, memref<?x64xf32>
  return
}

// -----

func.func @add_columns(%a: memref<?x64xf32>, %b: memref<32xf32>) {
  // expected-error @+1 {{operands must have the same number of columns}}
  itq3.add_into %a, %b into %a : memref<?x64xf32>, memref<32xf32>, memref<?x64xf32>
  return
}

// -----

func.func @swiglu_rows(%g: memref<2x8xf32>, %u: memref<3x8xf32>) {
  // expected-error @+1 {{operands must have the same number of rows, got 2 and 3}}
  itq3.swiglu_into %g, %u into %g : memref<2x8xf32>, memref<3x8xf32>, memref<2x8xf32>
  return
}
