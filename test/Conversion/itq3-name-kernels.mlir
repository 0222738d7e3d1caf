// RUN: itq3-opt %s -split-input-file --itq3-name-kernels | FileCheck %s

// Outlining leaves every kernel of `layer` named `layer_kernel`; each takes
// its module's name, and the launches follow.
// CHECK-LABEL: func.func @layer
// CHECK: gpu.launch_func @layer_kernel::@layer_kernel blocks
// CHECK: gpu.launch_func @layer_kernel_0::@layer_kernel_0 blocks
// CHECK: gpu.module @layer_kernel
// CHECK: gpu.func @layer_kernel(
// CHECK: gpu.module @layer_kernel_0
// CHECK: gpu.func @layer_kernel_0(
module attributes {gpu.container_module} {
  func.func @layer(%buf: memref<64xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @layer_kernel::@layer_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buf : memref<64xf32>)
    gpu.launch_func @layer_kernel_0::@layer_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buf : memref<64xf32>)
    return
  }
  gpu.module @layer_kernel {
    gpu.func @layer_kernel(%buf: memref<64xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @layer_kernel_0 {
    gpu.func @layer_kernel(%buf: memref<64xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A module of two kernels: each is named module_kernel; device functions
// keep their names.
// CHECK-LABEL: func.func @host
// CHECK: gpu.launch_func @m::@m_a blocks
// CHECK: gpu.launch_func @m::@m_b blocks
// CHECK: gpu.func @helper(
// CHECK: gpu.func @m_a(
// CHECK: gpu.func @m_b(
module attributes {gpu.container_module} {
  func.func @host() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @m::@a blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @m::@b blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  gpu.module @m {
    gpu.func @helper() {
      gpu.return
    }
    gpu.func @a() kernel {
      gpu.return
    }
    gpu.func @b() kernel {
      gpu.return
    }
  }
}

// -----

// Launches from ops of a named step (lib/Graph names each step's ops):
// <host function>_<step>, numbered when a step has several kernels.
// CHECK-LABEL: func.func @layer
// CHECK: gpu.launch_func @layer_kernel::@layer_attention blocks
// CHECK: gpu.launch_func @layer_kernel_0::@layer_attention_1 blocks
// CHECK: gpu.launch_func @layer_kernel_1::@layer_kernel_1 blocks
// CHECK: gpu.func @layer_attention(
// CHECK: gpu.func @layer_attention_1(
// CHECK: gpu.func @layer_kernel_1(
#step = loc("attention"("graph.mlir":3:4))
module attributes {gpu.container_module} {
  func.func @layer() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @layer_kernel::@layer_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) loc(#step)
    gpu.launch_func @layer_kernel_0::@layer_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) loc(fused[#step, "x.mlir":1:1])
    gpu.launch_func @layer_kernel_1::@layer_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  gpu.module @layer_kernel {
    gpu.func @layer_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @layer_kernel_0 {
    gpu.func @layer_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @layer_kernel_1 {
    gpu.func @layer_kernel() kernel {
      gpu.return
    }
  }
}
