// RUN: itq3-opt %s -itq3-tile="tile-n=48" -split-input-file -verify-diagnostics
// RUN: not itq3-opt %s -itq3-tile="tile-m=0" 2>&1 | FileCheck %s --check-prefix=ZERO

// ZERO: error: tile sizes must be positive, got tile-m=0 tile-n=32

// A tile of TwinQuant's columns must start a block of U^T.
func.func @twin_tile_n(%x: memref<?x512xi8>, %s: memref<?x16xf32>, %r: memref<96x288xi8>, %ut: memref<24x102xi8>, %v: memref<24x544xi8>, %y: memref<?x96xf32>) {
  // expected-error @+1 {{twin_matmul_into needs tile-n a multiple of 32 (the factors' blocks of U^T), got 48}}
  itq3.twin_matmul_into %x, %r, %ut, %v into %y scales %s format<q4> factors<q8> rotation<none>
    : memref<?x512xi8>, memref<96x288xi8>, memref<24x102xi8>, memref<24x544xi8>, memref<?x96xf32>, memref<?x16xf32>
  return
}
