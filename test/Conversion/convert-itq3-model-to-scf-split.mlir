// RUN: itq3-opt %s --convert-itq3-model-to-scf=split-positions=16 --canonicalize | FileCheck %s

// The GPU mapping's attention, split over parts of 16 x M positions (M
// rows): after the cache append, ceil((pos + M) / (16 M)) parts per (token,
// head), each over positions [16 M s, min(16 M (s + 1), pos + m + 1))
// keeping its max, its f64 sum of exponentials and its weighted values;
// then per (token, head, column) the parts rescaled to their common max,
// summed and divided.
// CHECK-LABEL: func @attention
// CHECK: %[[SCORES:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK: %[[SIZE:.*]] = arith.muli %{{.*}}, %c16 : index
// CHECK: %[[PARTS:.*]] = arith.ceildivui %{{.*}}, %[[SIZE]] : index
// CHECK: %[[MAX:.*]] = memref.alloc(%{{.*}}, %[[PARTS]]) : memref<?x?xf32>
// CHECK: %[[SUM:.*]] = memref.alloc(%{{.*}}, %[[PARTS]]) : memref<?x?xf64>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %[[PARTS]]) : memref<?x?x8xf32>
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %[[PART:.*]]) = (%c0, %c0, %c0) to (%{{.*}}, %c8, %[[PARTS]])
// CHECK: %[[BEGIN:.*]] = arith.muli %[[PART]], %[[SIZE]] : index
// CHECK: %[[END:.*]] = arith.minui
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]]
// CHECK: arith.maximumf
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] {{.*}} -> (f64)
// CHECK: math.exp
// CHECK: memref.store %{{.*}}, %[[MAX]]
// CHECK: memref.store %{{.*}}, %[[SUM]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%{{.*}}, %c8, %c8)
// CHECK: scf.for %{{.*}} = %c0 to %[[PARTS]]
// CHECK: memref.load %[[MAX]]
// CHECK: arith.maximumf
// CHECK: memref.load %[[SUM]]
// CHECK: memref.load %[[OUT]]
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: memref.dealloc %[[MAX]]
// CHECK: memref.dealloc %[[SUM]]
// CHECK: memref.dealloc %[[OUT]]
// CHECK: memref.dealloc %[[SCORES]]
func.func @attention(%q: memref<?x64xf32>, %k: memref<?x32xf32>, %v: memref<?x32xf32>,
                     %kc: memref<512x32xf32>, %vc: memref<512x32xf32>, %pos: index,
                     %out: memref<?x64xf32>) {
  itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out heads(8) kv_heads(4) head_dim(8)
    : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<512x32xf32>, memref<512x32xf32>, memref<?x64xf32>
  return
}
