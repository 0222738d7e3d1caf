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

// A 16x8 block on the CPU: a loop nest over the block with a vector dot
// product per element (f16 widened to f32), added to the accumulator.
// CHECK-LABEL: func @mma
// CHECK-SAME: (%[[X:.*]]: memref<16x256xf16>, %[[W:.*]]: memref<16x256xf16>, %[[ACC:.*]]: memref<16x16xf32>, %[[N:.*]]: index)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%c16, %c8)
// CHECK: %[[ROW:.*]] = arith.addi %{{.*}}, %[[I]] : index
// CHECK: %[[COL:.*]] = arith.addi %[[N]], %[[J]] : index
// CHECK: %[[VX:.*]] = vector.load %[[X]][%[[ROW]], %{{.*}}] : memref<16x256xf16>, vector<256xf16>
// CHECK: arith.extf %[[VX]] : vector<256xf16> to vector<256xf32>
// CHECK: %[[VW:.*]] = vector.load %[[W]][%[[COL]], %{{.*}}] : memref<16x256xf16>, vector<256xf16>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<256xf32>
// CHECK: %[[SUM:.*]] = vector.reduction <add>, %{{.*}} : vector<256xf32> into f32
// CHECK: %[[OLD:.*]] = memref.load %[[ACC]]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[SUM]] : f32
// CHECK: memref.store %[[NEW]], %[[ACC]]
func.func @mma(%x: memref<16x256xf16>, %w: memref<16x256xf16>, %acc: memref<16x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  itq3.mma %x[%c0, %c0], %w[%n, %c0] into %acc[%c0, %n] length(256) accumulate : memref<16x256xf16>, memref<16x256xf16>, memref<16x16xf32>
  return
}
