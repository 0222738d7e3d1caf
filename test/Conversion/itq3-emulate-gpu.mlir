// RUN: itq3-opt %s -split-input-file --itq3-emulate-gpu | FileCheck %s
// RUN: itq3-opt %s -split-input-file --itq3-emulate-gpu=reverse-threads | FileCheck %s --check-prefix=REVERSE
// RUN: itq3-opt %s -split-input-file --itq3-emulate-gpu-llvm > /dev/null

// Two phases around a barrier: each thread writes its slot of workgroup
// memory, then reads its neighbour's. The launch becomes a call; blocks are
// a loop nest; the stage starts poisoned in every block; each phase is a
// loop over the threads; the value that crosses the barrier gets a slot per
// thread.
// CHECK-LABEL: func.func @host
// CHECK-NOT: gpu.launch_func
// CHECK: call @__itq3_emulated_kernels_shift
// CHECK-LABEL: func.func private @__itq3_emulated_kernels_shift
// CHECK-SAME: (%[[BUF:.*]]: memref<64xf32>, %[[GX:.*]]: index, %[[GY:.*]]: index, %[[GZ:.*]]: index, %[[BX:.*]]: index, %[[BY:.*]]: index, %[[BZ:.*]]: index)
// CHECK: arith.muli
// CHECK: %[[T:.*]] = arith.muli
// CHECK: %[[STAGE:.*]] = memref.alloca() {alignment = 16 : i64} : memref<64xf32>
// CHECK: %[[SLOT:.*]] = memref.alloca(%[[T]]) : memref<?xindex>
// CHECK: scf.for {{.*}} to %[[GZ]]
// CHECK: scf.for {{.*}} to %[[GY]]
// CHECK: scf.for {{.*}} to %[[GX]]
// CHECK: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: memref.store %[[NAN]], %[[STAGE]]
// CHECK: scf.for %[[TID:.*]] = {{.*}} to %[[T]]
// CHECK: memref.store {{.*}}, %[[STAGE]]
// CHECK: memref.store {{.*}}, %[[SLOT]][%[[TID]]]
// CHECK: scf.for %[[TID2:.*]] = {{.*}} to %[[T]]
// CHECK: memref.load %[[SLOT]][%[[TID2]]]
// CHECK: memref.load %[[STAGE]]
// CHECK-NOT: gpu.
// REVERSE-LABEL: func.func private @__itq3_emulated_kernels_shift
// REVERSE: arith.muli
// REVERSE: %[[T:.*]] = arith.muli
// REVERSE: memref.store {{.*}} : memref<64xf32>
// REVERSE: scf.for %[[I:.*]] = %{{.*}} to %[[T]] step
// REVERSE: %[[LAST:.*]] = arith.subi %[[T]], %{{.*}}
// REVERSE: arith.subi %[[LAST]], %[[I]]
module attributes {gpu.container_module} {
  func.func @host(%buf: memref<64xf32>) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @kernels::@shift blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%buf : memref<64xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @shift(%buf: memref<64xf32>) workgroup(%stage : memref<64xf32, #gpu.address_space<workgroup>>) kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
      %tid = gpu.thread_id x
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      %v = memref.load %buf[%tid] : memref<64xf32>
      memref.store %v, %stage[%tid] : memref<64xf32, #gpu.address_space<workgroup>>
      %next = arith.addi %tid, %c1 : index
      %wrapped = arith.remui %next, %c64 : index
      gpu.barrier
      %w = memref.load %stage[%wrapped] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %w, %buf[%tid] : memref<64xf32>
      gpu.return
    }
  }
}

// -----

// dp4a is its integer arithmetic: bytes widened as the op says, products
// summed into the accumulator.
// CHECK-LABEL: func.func private @__itq3_emulated_kernels_dot
// CHECK: scf.for
// CHECK-DAG: arith.extsi {{.*}} : vector<4xi8> to vector<4xi32>
// CHECK-DAG: arith.extui {{.*}} : vector<4xi8> to vector<4xi32>
// CHECK: %[[P:.*]] = arith.muli {{.*}} : vector<4xi32>
// CHECK: %[[S:.*]] = vector.reduction <add>, %[[P]] : vector<4xi32> into i32
// CHECK: arith.addi %[[S]]
// CHECK-NOT: nvvm.
module attributes {gpu.container_module} {
  func.func @host(%a: memref<32xi8>, %b: memref<32xi8>, %y: memref<8xi32>) {
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    gpu.launch_func @kernels::@dot blocks in (%c1, %c1, %c1) threads in (%c8, %c1, %c1) args(%a : memref<32xi8>, %b : memref<32xi8>, %y : memref<8xi32>)
    return
  }
  gpu.module @kernels {
    gpu.func @dot(%a: memref<32xi8>, %b: memref<32xi8>, %y: memref<8xi32>) kernel {
      %tid = gpu.thread_id x
      %c4 = arith.constant 4 : index
      %c0 = arith.constant 0 : i32
      %at = arith.muli %tid, %c4 : index
      %x = vector.load %a[%at] : memref<32xi8>, vector<4xi8>
      %z = vector.load %b[%at] : memref<32xi8>, vector<4xi8>
      %d = nvvm.dot.accumulate.4way %x <signed>, %z <unsigned>, %c0 : vector<4xi8>, vector<4xi8>
      memref.store %d, %y[%tid] : memref<8xi32>
      gpu.return
    }
  }
}

// -----

// mma.sync is one warp-collective step: the phase runs per warp, the
// lanes' fragments are gathered into the warp's matrices, multiplied with
// the s32 sum clamped as .satfinite does, and scattered back.
// CHECK-LABEL: func.func private @__itq3_emulated_kernels_mma
// CHECK: %[[WARPS:.*]] = arith.ceildivui
// CHECK-DAG: %[[A:.*]] = memref.alloca() : memref<16x32xi8>
// CHECK-DAG: %[[B:.*]] = memref.alloca() : memref<32x8xi8>
// CHECK-DAG: %[[C:.*]] = memref.alloca() : memref<16x8xi32>
// CHECK: scf.for %[[W:.*]] = %{{.*}} to %[[WARPS]]
// CHECK: scf.for
// CHECK: vector.load
// CHECK: memref.store {{.*}} : memref<?xvector<16xi8>>
// CHECK: scf.for {{.*}} to %c32{{.*}} step
// CHECK: memref.store {{.*}}, %[[A]]
// CHECK: scf.for {{.*}} to %c32{{.*}} step
// CHECK: memref.store {{.*}}, %[[B]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.trunci {{.*}} : i64 to i32
// CHECK: memref.store {{.*}}, %[[C]]
// CHECK: scf.for {{.*}} to %c32{{.*}} step
// CHECK: memref.load %[[C]]
// CHECK-NOT: nvgpu.
module attributes {gpu.container_module} {
  func.func @host(%a: memref<32x128xi8>, %y: memref<32x4xi32>) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    gpu.launch_func @kernels::@mma blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1) args(%a : memref<32x128xi8>, %y : memref<32x4xi32>)
    return
  }
  gpu.module @kernels {
    gpu.func @mma(%a: memref<32x128xi8>, %y: memref<32x4xi32>) kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      %lane = gpu.lane_id
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %zero = arith.constant dense<0> : vector<2x2xi32>
      %z4 = arith.constant dense<0> : vector<4x4xi8>
      %z2 = arith.constant dense<0> : vector<2x4xi8>
      %r0 = vector.load %a[%lane, %c0] : memref<32x128xi8>, vector<4xi8>
      %fa = vector.broadcast %r0 : vector<4xi8> to vector<4x4xi8>
      %fb = vector.broadcast %r0 : vector<4xi8> to vector<2x4xi8>
      %d = nvgpu.mma.sync(%fa, %fb, %zero) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
      %d0 = vector.extract %d[0] : vector<2xi32> from vector<2x2xi32>
      vector.store %d0, %y[%lane, %c0] : memref<32x4xi32>, vector<2xi32>
      gpu.return
    }
  }
}
