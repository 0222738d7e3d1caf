// RUN: itq3-opt %s --itq3-emulate-gpu=export-kernels | FileCheck %s --check-prefix=EXPORT
// RUN: itq3-opt %s --itq3-emulate-gpu-llvm=export-kernels | FileCheck %s
// RUN: itq3-opt %s --itq3-emulate-gpu=export-kernels --itq3-export-kernel-launchers 2>&1 | FileCheck %s --check-prefix=TYPES

// With export-kernels the emulation stays public and names its kernel.
// EXPORT-LABEL: func.func @__itq3_emulated_kernels_scale
// EXPORT-SAME: itq3.kernel = "scale"

// The launcher loads each of the kernel's lowered parameters (the memref's
// five fields, then the f32) from cuLaunchKernel's array, in order, and
// passes the six launch sizes on; the signature names their types.
// CHECK-LABEL: llvm.func @__itq3_launch_scale(
// CHECK-SAME: %[[PARAMS:[^:]*]]: !llvm.ptr, %[[GX:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %[[BZ:[^:]*]]: i64)
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[PARAMS]][0]
// CHECK: %[[A0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[V0:.*]] = llvm.load %[[A0]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.getelementptr %[[PARAMS]][5]
// CHECK: %[[V5:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK: llvm.call @__itq3_emulated_kernels_scale(%[[V0]], {{.*}}, %[[V5]], %[[GX]], {{.*}}, %[[BZ]])
// CHECK: llvm.mlir.global external constant @__itq3_launch_scale_signature("ppiiif\00")

// Before the lowering to LLVM, an emulated kernel is no llvm.func: the
// pass finds nothing to export.
// TYPES-NOT: llvm.func @__itq3_launch_scale
module attributes {gpu.container_module} {
  func.func @host(%buf: memref<64xf32>, %s: f32) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%buf : memref<64xf32>, %s : f32)
    return
  }
  gpu.module @kernels {
    gpu.func @scale(%buf: memref<64xf32>, %s: f32) kernel {
      %tid = gpu.thread_id x
      %v = memref.load %buf[%tid] : memref<64xf32>
      %w = arith.mulf %v, %s : f32
      memref.store %w, %buf[%tid] : memref<64xf32>
      gpu.return
    }
  }
}
