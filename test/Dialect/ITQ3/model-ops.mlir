// RUN: itq3-opt %s | itq3-opt | FileCheck %s
// RUN: itq3-opt %s --mlir-print-op-generic | itq3-opt | FileCheck %s

// The model-level ops round-trip through the custom and generic forms.

// CHECK-LABEL: func @embed
// CHECK: itq3.embed_into %{{.*}}[%{{.*}}] into %{{.*}} format<q8> : memref<512x68xi8>, memref<?xi32>, memref<?x64xf32>
func.func @embed(%t: memref<512x68xi8>, %ids: memref<?xi32>, %x: memref<?x64xf32>) {
  itq3.embed_into %t[%ids] into %x format<q8> : memref<512x68xi8>, memref<?xi32>, memref<?x64xf32>
  return
}

// CHECK-LABEL: func @norm_rope
// CHECK: itq3.rms_norm_into %[[X:.*]], %{{.*}} into %[[XB:.*]] eps(9.99999974E-6) : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
// CHECK: itq3.rope %[[XB]] at %{{.*}} head_dim(8) base(1.000000e+04) : memref<?x64xf32>
// CHECK: itq3.rope %[[XB]] at %{{.*}} head_dim(8) base(1.000000e+06) halves : memref<?x64xf32>
func.func @norm_rope(%x: memref<?x64xf32>, %w: memref<64xf32>, %xb: memref<?x64xf32>, %pos: index) {
  itq3.rms_norm_into %x, %w into %xb eps(1.0e-05) : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
  itq3.rope %xb at %pos head_dim(8) base(1.0e+04) : memref<?x64xf32>
  itq3.rope %xb at %pos head_dim(8) base(1.0e+06) halves : memref<?x64xf32>
  return
}

// CHECK-LABEL: func @attention
// CHECK: itq3.attention_into %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} into %{{.*}} heads(8) kv_heads(4) head_dim(8)
// CHECK-SAME: memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<512x32xf32>, memref<512x32xf32>, memref<?x64xf32>
func.func @attention(%q: memref<?x64xf32>, %k: memref<?x32xf32>, %v: memref<?x32xf32>,
                     %kc: memref<512x32xf32>, %vc: memref<512x32xf32>, %pos: index,
                     %out: memref<?x64xf32>) {
  itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out heads(8) kv_heads(4) head_dim(8)
    : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<512x32xf32>, memref<512x32xf32>, memref<?x64xf32>
  return
}

// CHECK-LABEL: func @elementwise
// CHECK: itq3.add_into %[[A:.*]], %{{.*}} into %[[A]] : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
// CHECK: itq3.add_into %[[A]], %{{.*}} into %[[A]] : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
// CHECK: itq3.swiglu_into %[[G:.*]], %{{.*}} into %[[G]] : memref<?x172xf32>, memref<?x172xf32>, memref<?x172xf32>
func.func @elementwise(%a: memref<?x64xf32>, %b: memref<?x64xf32>, %bias: memref<64xf32>,
                       %g: memref<?x172xf32>, %u: memref<?x172xf32>) {
  itq3.add_into %a, %b into %a : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  itq3.add_into %a, %bias into %a : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
  itq3.swiglu_into %g, %u into %g : memref<?x172xf32>, memref<?x172xf32>, memref<?x172xf32>
  return
}
