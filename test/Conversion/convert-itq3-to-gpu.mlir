// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles -canonicalize -convert-itq3-to-gpu="block-size=128" | FileCheck %s

// One block per tile of 32 weight rows; the stage buffer is workgroup memory;
// each phase is a loop over the block's threads closed by a barrier: zeroing
// y, decode, 8 butterfly stages, product.
// CHECK-LABEL: func @weight_rotation
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c2{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%[[BD:.*]] = %c128{{.*}}, {{.*}}) workgroup(%[[STAGE:.*]] : memref<32x256xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %{{.*}} = %[[TX]] to %{{.*}} step %[[BD]]
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %[[TX]] to %{{.*}} step %[[BD]]
// CHECK: memref.store %{{.*}}, %[[STAGE]]
// CHECK: gpu.barrier
// CHECK-COUNT-8: gpu.barrier
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
// CHECK-NOT: scf.forall
// CHECK-NOT: memref.alloca
func.func @weight_rotation(%x: memref<1x512xf32>, %w: memref<64x220xi8>, %y: memref<1x64xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight>
    : memref<1x512xf32>, memref<64x220xi8>, memref<1x64xf32>
  return
}
