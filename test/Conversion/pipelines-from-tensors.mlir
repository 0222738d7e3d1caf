// A model-level matmul (linalg.matmul with a constant weight) through the
// whole compiler: --itq3-quantize-weights, then each pipeline with each
// rotation placement. The pipelines place the rotation, fold the weight to
// packed bytes and bufferize before they tile.
//
// RUN: itq3-opt %s --itq3-quantize-weights="seed=3" --itq3-to-ptx="rotation=activation" -o %t.act.mlir
// RUN: FileCheck %s --check-prefix=HOST --input-file=%t.act.mlir
// RUN: %extract_ptx %t.act.mlir %t.act
// RUN: FileCheck %s --check-prefix=ACT-QUANT --input-file=%t.act-0.ptx
// RUN: FileCheck %s --check-prefix=ACT-MATMUL --input-file=%t.act-1.ptx
// RUN: itq3-opt %s --itq3-quantize-weights="seed=3" --itq3-to-ptx="rotation=weight" -o %t.wgt.mlir
// RUN: %extract_ptx %t.wgt.mlir %t.wgt
// RUN: FileCheck %s --check-prefix=WEIGHT --input-file=%t.wgt-0.ptx
// RUN: itq3-opt %s --itq3-quantize-weights="seed=3" --itq3-to-cpu-llvm="rotation=activation" | FileCheck %s --check-prefix=CPU

// The host function on the GPU: the weight stays a host global that the
// runtime uploads once and binds to the parameter named after it; the int8
// activations between the two kernels live in device memory.
// HOST: llvm.mlir.global private constant @[[W:itq3_weight]](dense_resource<{{.*}}> : tensor<64x110xi8>)
// HOST-LABEL: llvm.func @layer
// HOST-COUNT-2: llvm.call @mgpuMemAlloc
// HOST-COUNT-2: gpu.launch_func
// HOST-COUNT-2: llvm.call @mgpuMemFree
// HOST-LABEL: llvm.func @_mlir_ciface_layer
// HOST-SAME: {itq3.weight = @[[W]]}

// Kernel 1 rotates (seeded signs, 8 butterfly stages in shared memory) and
// quantizes the activations; kernel 2 multiplies them on dp4a.
// ACT-QUANT: .global .align 4 .b8 __itq3_signs_3_256[1024]
// ACT-QUANT-LABEL: .entry layer_kernel
// ACT-QUANT-COUNT-8: sub.rn.f32
// ACT-QUANT: cvt.rzi.s32.f32
// ACT-QUANT: st.global.b8
// ACT-QUANT-NOT: itq3_weight
// ACT-MATMUL-LABEL: .entry layer_kernel
// ACT-MATMUL: dp4a.s32.s32
// ACT-MATMUL-NOT: itq3_weight

// The weight placement: one kernel, inverse FWHT of the staged weight tile.
// WEIGHT-LABEL: .entry layer_kernel
// WEIGHT-COUNT-8: sub.rn.f32
// WEIGHT: fma.rn.f32
// WEIGHT-NOT: dp4a
// WEIGHT-NOT: itq3_weight

// On the CPU the weight is a constant in the object, the result is written
// in place of the caller's buffer (no copy), and the int8 activations are
// freed.
// CPU: llvm.mlir.global private constant @itq3_weight(dense_resource<{{.*}}> : tensor<64x110xi8>)
// CPU-LABEL: llvm.func @layer(
// CPU-NOT: memcpy
// CPU-COUNT-2: llvm.call @malloc
// CPU-NOT: memcpy
// CPU-COUNT-2: llvm.call @free
// CPU-LABEL: llvm.func @_mlir_ciface_layer(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
func.func @layer(%x: tensor<?x256xf32>) -> tensor<?x64xf32> attributes {llvm.emit_c_interface} {
  %b = arith.constant dense<0.25> : tensor<256x64xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x256xf32>
  %empty = tensor.empty(%m) : tensor<?x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %y = linalg.matmul ins(%x, %b : tensor<?x256xf32>, tensor<256x64xf32>)
                     outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
