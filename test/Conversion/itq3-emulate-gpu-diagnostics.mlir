// RUN: itq3-opt %s -split-input-file -verify-diagnostics --itq3-emulate-gpu

// A barrier under control flow that differs between threads: the threads
// of a block would not all reach it.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @divergent(%buf: memref<64xf32>) kernel {
      %tid = gpu.thread_id x
      %c32 = arith.constant 32 : index
      %low = arith.cmpi ult, %tid, %c32 : index
      // expected-error @below {{a branch around a barrier or warp-collective op needs a condition that is equal over the block}}
      scf.if %low {
        gpu.barrier
      }
      gpu.return
    }
  }
}

// -----

// A warp shuffle is a warp-collective op the emulation does not model.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @shuffle(%buf: memref<32xf32>) kernel {
      %tid = gpu.thread_id x
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %v = memref.load %buf[%tid] : memref<32xf32>
      // expected-error @below {{the GPU emulation does not model gpu.shuffle}}
      %s, %ok = gpu.shuffle xor %v, %c1, %c32 : f32
      memref.store %s, %buf[%tid] : memref<32xf32>
      gpu.return
    }
  }
}

// -----

// mma.sync needs whole warps, which only a known block size guarantees.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{warp-collective ops need a known block size of whole warps in x}}
    gpu.func @mma(%a: vector<4x4xi8>, %b: vector<2x4xi8>, %c: vector<2x2xi32>, %y: memref<32xvector<2x2xi32>>) kernel {
      %tid = gpu.thread_id x
      %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
      memref.store %d, %y[%tid] : memref<32xvector<2x2xi32>>
      gpu.return
    }
  }
}

// -----

// A buffer view chosen per thread cannot be kept across a barrier.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @view(%buf: memref<64x4xf32>) kernel {
      %tid = gpu.thread_id x
      // expected-error @below {{the GPU emulation cannot keep a value of type 'memref<4xf32, strided<[1], offset: ?>>' per thread across a barrier or warp-collective step}}
      %row = memref.subview %buf[%tid, 0] [1, 4] [1, 1] : memref<64x4xf32> to memref<4xf32, strided<[1], offset: ?>>
      %c0 = arith.constant 0 : index
      %v = memref.load %row[%c0] : memref<4xf32, strided<[1], offset: ?>>
      gpu.barrier
      memref.store %v, %row[%c0] : memref<4xf32, strided<[1], offset: ?>>
      gpu.return
    }
  }
}

// -----

// An mma.sync shape the emulation has no PTX ISA layout for.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @m16n8k8(%a: vector<2x2xf16>, %b: vector<1x2xf16>, %c: vector<2x2xf32>, %y: memref<32xvector<2x2xf32>>) kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      %tid = gpu.thread_id x
      // expected-error @below {{the GPU emulation models mma.sync m16n8k32 s8 -> s32 and m16n8k16 f16 -> f32 only}}
      %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 8]} : (vector<2x2xf16>, vector<1x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      memref.store %d, %y[%tid] : memref<32xvector<2x2xf32>>
      gpu.return
    }
  }
}
