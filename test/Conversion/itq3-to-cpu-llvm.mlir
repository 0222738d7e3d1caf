// RUN: itq3-opt %s --itq3-to-cpu-llvm | FileCheck %s
// RUN: itq3-opt %s --itq3-to-cpu-llvm | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// The whole CPU pipeline leaves only the LLVM dialect: the kernel, its C
// interface wrapper and the constant tables.
// CHECK: llvm.mlir.global private constant @__itq3_grid
// CHECK-LABEL: llvm.func @kernel
// CHECK-NOT: itq3.
// CHECK-NOT: scf.
// CHECK-NOT: memref.
// CHECK: llvm.func @_mlir_ciface_kernel
// The CPU decodes 32 columns per step with vector ops (a gather of grid
// entries) and runs the inverse FWHT of a staged row on one vector of 256.
// LLVMIR-LABEL: define void @kernel
// LLVMIR: alloca
// LLVMIR: call <8 x i32> @llvm.masked.gather
// LLVMIR: fsub <128 x float>
func.func @kernel(%x: memref<?x256xf32>, %w: memref<64x110xi8>, %y: memref<?x64xf32>) attributes {llvm.emit_c_interface} {
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight>
    : memref<?x256xf32>, memref<64x110xi8>, memref<?x64xf32>
  return
}

// A buffer-level kernel that allocates and frees its own buffer is left as
// it is by the bufferization that tensor-level input gets.
// CHECK-LABEL: llvm.func @own_buffer
// CHECK: llvm.call @malloc
// CHECK: llvm.call @free
func.func @own_buffer(%x: memref<?x256xf32>, %w: memref<64x110xi8>, %y: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %x, %c0 : memref<?x256xf32>
  %t = memref.alloc(%m) : memref<?x64xf32>
  itq3.matmul_into %x, %w into %t format<itq3_s> rotation<weight>
    : memref<?x256xf32>, memref<64x110xi8>, memref<?x64xf32>
  memref.copy %t, %y : memref<?x64xf32> to memref<?x64xf32>
  memref.dealloc %t : memref<?x64xf32>
  return
}
