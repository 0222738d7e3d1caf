// RUN: itq3-opt %s --convert-itq3-model-to-scf --canonicalize -split-input-file | FileCheck %s

// RMSNorm: rows in parallel; a sum of squares in f64 per row, then
// w * (x * scale).
// CHECK-LABEL: func @rms_norm
// CHECK: scf.parallel (%[[M:.*]]) =
// CHECK: %[[SS:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f64)
// CHECK: arith.extf {{.*}} : f32 to f64
// CHECK: %[[ROOT:.*]] = math.sqrt
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %[[ROOT]] : f64
// CHECK: %[[SCALE:.*]] = arith.truncf %[[INV]] : f64 to f32
// CHECK: scf.for
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[M]], %{{.*}}] : memref<?x64xf32>
// CHECK: %[[XS:.*]] = arith.mulf %[[X]], %[[SCALE]] : f32
// CHECK: arith.mulf %{{.*}}, %[[XS]] : f32
// CHECK: memref.store
// CHECK-NOT: itq3.rms_norm_into
func.func @rms_norm(%x: memref<?x64xf32>, %w: memref<64xf32>, %o: memref<?x64xf32>) {
  itq3.rms_norm_into %x, %w into %o eps(1.0e-05) : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
  return
}

// -----

// RoPE: (row, pair) in parallel; angles (pos + m) * base^(-2i / head_dim)
// in f64; halves pairs i and i + 4 of each 8-column head.
// CHECK-LABEL: func @rope
// CHECK-DAG: %[[BASE:.*]] = arith.constant 1.000000e+04 : f64
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c4)
// CHECK: math.powf %[[BASE]], %{{.*}} : f64
// CHECK: math.cos %{{.*}} : f64
// CHECK: math.sin %{{.*}} : f64
// CHECK: arith.addi %{{.*}}, %c4
// CHECK: arith.subf
// CHECK: arith.addf
// CHECK-NOT: itq3.rope
func.func @rope(%x: memref<?x64xf32>, %pos: index) {
  itq3.rope %x at %pos head_dim(8) base(1.0e+04) halves : memref<?x64xf32>
  return
}

// -----

// Attention: the new keys and values go to the caches at pos + m; then
// every (token, head) in parallel: its own score row over positions
// 0 .. pos + m (max, exp, an f64 denominator), then the weighted sum of
// values; the score buffer is freed.
// CHECK-LABEL: func @attention
// CHECK: scf.parallel (%[[M:.*]], %{{.*}}) =
// CHECK: %[[SLOT:.*]] = arith.addi %{{.*}}, %[[M]] : index
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[SLOT]], %{{.*}}] : memref<512x32xf32>
// CHECK: %[[SCORES:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c8)
// CHECK: arith.divui %{{.*}}, %c2 : index
// CHECK: arith.maximumf
// CHECK: -> (f64)
// CHECK: math.exp
// CHECK: memref.dealloc %[[SCORES]]
// CHECK-NOT: itq3.attention_into
func.func @attention(%q: memref<?x64xf32>, %k: memref<?x32xf32>, %v: memref<?x32xf32>,
                     %kc: memref<512x32xf32>, %vc: memref<512x32xf32>, %pos: index,
                     %out: memref<?x64xf32>) {
  itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out heads(8) kv_heads(4) head_dim(8)
    : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<512x32xf32>, memref<512x32xf32>, memref<?x64xf32>
  return
}

// -----

// The lookup decodes rows of the packed table with the format's block
// decoder: for q8 an int8 code times the fp16 scale of its 32 columns.
// CHECK-LABEL: func @embed
// CHECK: %[[TOKEN:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<?xi32>
// CHECK: %[[ROW:.*]] = arith.index_cast %[[TOKEN]] : i32 to index
// CHECK: memref.load %{{.*}}[%[[ROW]], %{{.*}}] : memref<512x68xi8>
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: memref.store %{{.*}} : memref<?x64xf32>
// CHECK-NOT: itq3.embed_into
func.func @embed(%t: memref<512x68xi8>, %ids: memref<?xi32>, %x: memref<?x64xf32>) {
  itq3.embed_into %t[%ids] into %x format<q8> : memref<512x68xi8>, memref<?xi32>, memref<?x64xf32>
  return
}

// -----

// SwiGLU as g / (1 + exp(-g)) * up; a bias added to every row.
// CHECK-LABEL: func @elementwise
// CHECK: %[[G:.*]] = memref.load
// CHECK: %[[NEG:.*]] = arith.negf %[[G]]
// CHECK: %[[E:.*]] = math.exp %[[NEG]]
// CHECK: %[[D:.*]] = arith.addf %[[E]], %{{.*}}
// CHECK: arith.divf %[[G]], %[[D]]
// CHECK: memref.load %{{.*}}[%{{.*}}] : memref<172xf32>
// CHECK-NOT: itq3.swiglu_into
// CHECK-NOT: itq3.add_into
func.func @elementwise(%g: memref<?x172xf32>, %u: memref<?x172xf32>, %b: memref<172xf32>) {
  itq3.swiglu_into %g, %u into %g : memref<?x172xf32>, memref<?x172xf32>, memref<?x172xf32>
  itq3.add_into %g, %b into %g : memref<?x172xf32>, memref<172xf32>, memref<?x172xf32>
  return
}
