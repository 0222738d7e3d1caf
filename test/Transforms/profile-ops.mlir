// RUN: itq3-opt %s -split-input-file -itq3-profile-ops | FileCheck %s
// RUN: itq3-opt %s -split-input-file -itq3-profile-ops="suffix=_prefill" | FileCheck %s --check-prefix=SUFFIX
// RUN: itq3-opt %s -split-input-file -verify-diagnostics -itq3-profile-ops="suffix=_taken"

// The products (with the quantization of their activations) add to slot 0,
// attention to slot 1; other ops are not timed.
// CHECK-DAG: func.func private @omp_get_wtime() -> f64
// CHECK-DAG: memref.global "public" @__itq3_profile_seconds : memref<2xf64> = dense<0.000000e+00>
// CHECK-LABEL: func @layer
// CHECK: %[[Q0:.*]] = call @omp_get_wtime()
// CHECK-NEXT: itq3.quantize_act_into
// CHECK-NEXT: %[[Q1:.*]] = call @omp_get_wtime()
// CHECK-NEXT: %[[QT:.*]] = arith.subf %[[Q1]], %[[Q0]]
// CHECK-NEXT: %[[QG:.*]] = memref.get_global @__itq3_profile_seconds
// CHECK-NEXT: %[[QI:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[QS:.*]] = memref.load %[[QG]][%[[QI]]]
// CHECK-NEXT: %[[QN:.*]] = arith.addf %[[QS]], %[[QT]]
// CHECK-NEXT: memref.store %[[QN]], %[[QG]][%[[QI]]]
// CHECK: call @omp_get_wtime()
// CHECK-NEXT: itq3.matmul_into
// CHECK: arith.constant 0 : index
// CHECK: itq3.rope
// CHECK-NEXT: call @omp_get_wtime()
// CHECK-NEXT: itq3.attention_into
// CHECK: arith.constant 1 : index
// CHECK-NOT: omp_get_wtime
// CHECK: return
// SUFFIX: memref.global "public" @__itq3_profile_seconds_prefill : memref<2xf64>
func.func @layer(%x: memref<?x256xf32>, %xq: memref<?x256xi8>, %s: memref<?x8xf32>,
                 %w: memref<64x110xi8>, %q: memref<?x64xf32>, %k: memref<?x32xf32>,
                 %v: memref<?x32xf32>, %kc: memref<512x32xf32>,
                 %vc: memref<512x32xf32>, %pos: index, %out: memref<?x64xf32>) {
  itq3.quantize_act_into %x into %xq, %s rotate : memref<?x256xf32>, memref<?x256xi8>, memref<?x8xf32>
  itq3.matmul_into %xq, %w into %q scales %s format<itq3_s> rotation<activation>
    : memref<?x256xi8>, memref<64x110xi8>, memref<?x64xf32>, memref<?x8xf32>
  itq3.rope %q at %pos head_dim(8) base(1.000000e+04) : memref<?x64xf32>
  itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out heads(8) kv_heads(4) head_dim(8)
    : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<512x32xf32>, memref<512x32xf32>, memref<?x64xf32>
  return
}

// -----

// Nothing to time: the module is left as it is.
// CHECK-LABEL: func @norm_only
// CHECK-NOT: omp_get_wtime
// CHECK-NOT: __itq3_profile_seconds
// CHECK: return
func.func @norm_only(%x: memref<?x64xf32>, %w: memref<64xf32>, %y: memref<?x64xf32>) {
  itq3.rms_norm_into %x, %w into %y eps(1.000000e-05) : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
  return
}

// -----

// expected-error @below {{itq3-profile-ops: @__itq3_profile_seconds_taken is defined already}}
module {
  memref.global @__itq3_profile_seconds_taken : memref<2xf64> = dense<0.0>
  func.func @f(%x: memref<?x64xf32>, %q: memref<?x32xf32>, %k: memref<?x32xf32>,
               %v: memref<?x32xf32>, %kc: memref<512x32xf32>, %vc: memref<512x32xf32>,
               %pos: index) {
    itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %q heads(4) kv_heads(4) head_dim(8)
      : memref<?x32xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<512x32xf32>, memref<512x32xf32>, memref<?x32xf32>
    return
  }
}
