// RUN: itq3-opt %s -itq3-stage-tiles -split-input-file -verify-diagnostics

// Without a static bound on N the stage buffer cannot be sized.
func.func @dynamic_rows(%x: memref<1x256xf32>, %w: memref<?x110xi8>, %y: memref<1x?xf32>) {
  // expected-error @+1 {{the stage buffer needs a static bound on the tile's N; run --itq3-tile first}}
  itq3.matmul_into %x, %w into %y format<iq3> rotation<none>
    : memref<1x256xf32>, memref<?x110xi8>, memref<1x?xf32>
  return
}

// -----

// TWLA's per-row codes are lowered with its Kronecker rotation or alone,
// not after the FWHT-256 blocks.
func.func @quantize_activations_rotate_bits(%x: memref<?x512xf32>, %q: memref<?x512xi8>, %s: memref<?x16xf32>) {
  // expected-error @+1 {{rotate with bits(b) is not lowered}}
  itq3.quantize_act_into %x into %q, %s rotate bits(4) : memref<?x512xf32>, memref<?x512xi8>, memref<?x16xf32>
  return
}
