// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles -itq3-fuse-inverse-fwht -canonicalize -convert-itq3-to-gpu="block-size=128" | FileCheck %s
// RUN: itq3-opt %s -itq3-tile="tile-m=16 tile-n=16" -itq3-stage-tiles="mma=true" -itq3-fuse-inverse-fwht -canonicalize -convert-itq3-to-gpu="block-size=128" | FileCheck %s --check-prefix=MMA

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

// A phase of itq3.mma blocks is spread over warps, not threads: warp
// tid / 32 of blockDim / 32 runs iterations warp, warp + 4, ..., and every
// lane of it runs the op.
// MMA-LABEL: func @mma_blocks
// MMA: gpu.launch {{.*}} threads(%[[TX:[^,]*]], %{{.*}}, %{{.*}}) in (%[[BD:[^ ]*]] = %c128
// MMA: %[[WARP:.*]] = arith.divui %[[TX]], %[[C32:.*]] : index
// MMA: %[[WARPS:.*]] = arith.divui %[[BD]], %[[C32]] : index
// MMA: scf.for %{{.*}} = %[[TX]] to %{{.*}} step %[[BD]]
// MMA: scf.for %{{.*}} = %[[WARP]] to %{{.*}} step %[[WARPS]]
// MMA: itq3.mma
// MMA: }
// MMA-NEXT: gpu.barrier
func.func @mma_blocks(%x: memref<?x512xi8>, %s: memref<?x16xf32>, %w: memref<64x220xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s> rotation<activation>
    : memref<?x512xi8>, memref<64x220xi8>, memref<?x64xf32>, memref<?x16xf32>
  return
}
