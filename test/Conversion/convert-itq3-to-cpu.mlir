// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles -convert-itq3-to-cpu | FileCheck %s

// CHECK-LABEL: func @dot
// CHECK-SAME: (%[[A:.*]]: memref<32x256xi8>, %[[B:.*]]: memref<?x4096xi8>, %[[N:.*]]: index, %[[M:.*]]: index, %[[K:.*]]: index)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[VA:.*]] = vector.load %[[A]][%[[N]], %[[C0]]] : memref<32x256xi8>, vector<32xi8>
// CHECK: %[[WA:.*]] = arith.extsi %[[VA]] : vector<32xi8> to vector<32xi32>
// CHECK: %[[VB:.*]] = vector.load %[[B]][%[[M]], %[[K]]] : memref<?x4096xi8>, vector<32xi8>
// CHECK: %[[WB:.*]] = arith.extsi %[[VB]] : vector<32xi8> to vector<32xi32>
// CHECK: %[[P:.*]] = arith.muli %[[WA]], %[[WB]] : vector<32xi32>
// CHECK: %[[S:.*]] = vector.reduction <add>, %[[P]] : vector<32xi32> into i32
// CHECK: return %[[S]]
func.func @dot(%a: memref<32x256xi8>, %b: memref<?x4096xi8>, %n: index, %m: index, %k: index) -> i32 {
  %c0 = arith.constant 0 : index
  %d = itq3.dot_i8 %a[%n, %c0], %b[%m, %k] length(32) : memref<32x256xi8>, memref<?x4096xi8>
  return %d : i32
}

// Tiles run as loop iterations on the CPU: each tile gives its stage back to
// the stack when it ends.
// CHECK-LABEL: func @tile_stack
// CHECK: scf.forall
// CHECK-NEXT: %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK: memref.alloca() : memref<32x256xf32>
// CHECK: llvm.intr.stackrestore %[[SP]] : !llvm.ptr
// CHECK-NEXT: }
func.func @tile_stack(%x: memref<1x256xf32>, %w: memref<64x110xi8>, %y: memref<1x64xf32>) {
  itq3.matmul_into %x, %w into %y format<iq3> rotation<none>
    : memref<1x256xf32>, memref<64x110xi8>, memref<1x64xf32>
  return
}
