// RUN: itq3-opt %s --convert-itq3-model-to-scf=tiled-norms=true | FileCheck %s

// RMSNorm in tiles (the GPU mapping): one scf.forall iteration per row,
// with a 256-entry f64 stage and a scale stage; phase 1: 256 workers sum the
// squares of columns t, t + 256, ...; phase 2: one worker adds the stage
// into the scale; phase 3: every column scaled.
// CHECK-LABEL: func @rms_norm
// CHECK: scf.forall (%[[M:.*]]) in
// CHECK: %[[PARTIAL:.*]] = memref.alloca() : memref<256xf64>
// CHECK: %[[SCALE:.*]] = memref.alloca() : memref<1xf32>
// CHECK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c256{{.*}})
// CHECK: scf.for %{{.*}} = %[[T]] to %{{.*}} step %c256{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f64)
// CHECK: memref.store %{{.*}}, %[[PARTIAL]][%[[T]]]
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c1{{.*}})
// CHECK: memref.load %[[PARTIAL]]
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[SCALE]]
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%c1000{{.*}})
// CHECK: memref.load %[[SCALE]]
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[M]], %[[I]]]
func.func @rms_norm(%x: memref<?x1000xf32>, %w: memref<1000xf32>, %out: memref<?x1000xf32>) {
  itq3.rms_norm_into %x, %w into %out eps(1.0e-05) : memref<?x1000xf32>, memref<1000xf32>, memref<?x1000xf32>
  return
}
