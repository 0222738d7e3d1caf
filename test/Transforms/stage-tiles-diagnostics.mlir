// RUN: itq3-opt %s -itq3-stage-tiles -verify-diagnostics

// Without a static bound on N the stage buffer cannot be sized.
func.func @dynamic_rows(%x: memref<1x256xf32>, %w: memref<?x110xi8>, %y: memref<1x?xf32>) {
  // expected-error @+1 {{the stage buffer needs a static bound on the tile's N; run --itq3-tile first}}
  itq3.matmul_into %x, %w into %y format<iq3> rotation<none>
    : memref<1x256xf32>, memref<?x110xi8>, memref<1x?xf32>
  return
}
