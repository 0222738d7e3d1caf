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
// LLVMIR-LABEL: define void @kernel
// LLVMIR: alloca
// LLVMIR: fsub float
func.func @kernel(%x: memref<?x256xf32>, %w: memref<64x110xi8>, %y: memref<?x64xf32>) attributes {llvm.emit_c_interface} {
  itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight>
    : memref<?x256xf32>, memref<64x110xi8>, memref<?x64xf32>
  return
}
