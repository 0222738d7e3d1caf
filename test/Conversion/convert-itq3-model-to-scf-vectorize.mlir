// RUN: itq3-opt %s --convert-itq3-model-to-scf="vectorize=true" --canonicalize -split-input-file | FileCheck %s
// RUN: itq3-opt %s --convert-itq3-model-to-scf="vectorize=true threads=true" -split-input-file | FileCheck %s --check-prefix=THREADS

// The CPU's attention: the scores of four positions per step, each a
// 4-lane dot whose lanes are summed (0 + 1) + (2 + 3) like the reference's;
// the positions left over one by one; then the weighted sum of values in
// register accumulators (one vector of 8 lanes for an 8-column head), stored
// once.
// With threads, the (token, head) pairs are an scf.forall (OpenMP threads
// on the CPU); the cache update before it stays an scf.parallel.
// THREADS-LABEL: func @attention
// THREADS: scf.parallel
// THREADS: memref.alloc
// THREADS: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, %{{.*}})
// THREADS-NOT: scf.parallel
// THREADS: memref.dealloc
// CHECK-LABEL: func @attention
// CHECK: %[[SCORES:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK: scf.parallel
// CHECK: %[[WHOLE:.*]] = arith.muli %{{.*}}, %c4 : index
// CHECK: scf.for %[[P:.*]] = %c0 to %[[WHOLE]] step %c4 iter_args(%{{.*}} = %{{.*}}) -> (f32)
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4 iter_args(%[[A0:.*]] = %{{.*}}, %[[A1:.*]] = %{{.*}}, %[[A2:.*]] = %{{.*}}, %[[A3:.*]] = %{{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK: %[[Q:.*]] = vector.load %{{.*}} : memref<?x64xf32>, vector<4xf32>
// CHECK: %[[K:.*]] = vector.load %{{.*}}[%[[P]], %{{.*}}] : memref<512x32xf32>, vector<4xf32>
// CHECK: %[[QK:.*]] = arith.mulf %[[Q]], %[[K]] : vector<4xf32>
// CHECK: arith.addf %[[A0]], %[[QK]] : vector<4xf32>
// CHECK: %[[L0:.*]] = vector.extract %{{.*}}[0] : f32 from vector<4xf32>
// CHECK: %[[L1:.*]] = vector.extract %{{.*}}[1] : f32 from vector<4xf32>
// CHECK: %[[L01:.*]] = arith.addf %[[L0]], %[[L1]] : f32
// CHECK: %[[L2:.*]] = vector.extract %{{.*}}[2] : f32 from vector<4xf32>
// CHECK: %[[L3:.*]] = vector.extract %{{.*}}[3] : f32 from vector<4xf32>
// CHECK: %[[L23:.*]] = arith.addf %[[L2]], %[[L3]] : f32
// CHECK: arith.addf %[[L01]], %[[L23]] : f32
// CHECK: arith.maximumf
// CHECK: scf.for %{{.*}} = %[[WHOLE]] to %{{.*}} step %c1 iter_args
// CHECK: -> (f64)
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<8xf32>)
// CHECK: %[[W:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: %[[V:.*]] = vector.load %{{.*}} : memref<512x32xf32>, vector<8xf32>
// CHECK: %[[WV:.*]] = arith.mulf %[[W]], %[[V]] : vector<8xf32>
// CHECK: arith.addf %[[ACC]], %[[WV]] : vector<8xf32>
// CHECK: vector.store %[[SUM]], %{{.*}} : memref<?x64xf32>, vector<8xf32>
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

// A head of 6 columns: one 4-lane chunk (its loop folded away), then
// columns 4 and 5 one by one, after the lanes; the weighted sum in three
// 2-lane vectors.
// CHECK-LABEL: func @attention_odd_head
// CHECK: vector.load {{.*}} vector<4xf32>
// CHECK: vector.extract %{{.*}}[3] : f32 from vector<4xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: %[[C4Q:.*]] = memref.load %{{.*}} : memref<?x12xf32>
// CHECK: %[[C4K:.*]] = memref.load %{{.*}} : memref<64x6xf32>
// CHECK: arith.mulf %[[C4Q]], %[[C4K]] : f32
// CHECK: scf.for {{.*}} -> (vector<2xf32>, vector<2xf32>, vector<2xf32>)
// CHECK-COUNT-3: vector.store %{{.*}} : memref<?x12xf32>, vector<2xf32>
func.func @attention_odd_head(%q: memref<?x12xf32>, %k: memref<?x6xf32>, %v: memref<?x6xf32>,
                              %kc: memref<64x6xf32>, %vc: memref<64x6xf32>, %pos: index,
                              %out: memref<?x12xf32>) {
  itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out heads(2) kv_heads(1) head_dim(6)
    : memref<?x12xf32>, memref<?x6xf32>, memref<?x6xf32>, memref<64x6xf32>, memref<64x6xf32>, memref<?x12xf32>
  return
}
