// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles -canonicalize -split-input-file | FileCheck %s
// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles="vector-decode=true" -canonicalize -split-input-file | FileCheck %s --check-prefix=VEC

// twla with int8 activations, K = 576 (nine groups of 64, three per
// chunk of 192): each column decodes to the int8 code c_mu + c_alpha t under the
// group's d (the int8 path of every format). The scalar decode (the GPU's)
// reads trit e at byte 4 + e / 5 of its group, digit e % 5, with 3^digit
// from the bytes of one i64 word (1, 3, 9, 27, 81 = 348345926401), then
// (q * 3^k mod 256) * 3 >> 8; c_mu and c_alpha are sign-extended bytes 2
// and 3.
// CHECK-LABEL: func @twla_int8
// CHECK-DAG: %[[POWERS:.*]] = arith.constant 348345926401 : i64
// CHECK-DAG: %[[FIVE:.*]] = arith.constant 5 : i32
// CHECK-DAG: memref.alloca() : memref<32x192xi8>
// CHECK-DAG: memref.alloca() : memref<32x6xf32>
// CHECK: arith.divui %{{.*}}, %[[FIVE]] : i32
// CHECK: arith.remui %{{.*}}, %[[FIVE]] : i32
// CHECK: arith.shrui %[[POWERS]], %{{.*}} : i64
// CHECK: %[[MU:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[ALPHA:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[AT:.*]] = arith.muli %[[ALPHA]], %{{.*}} : i32
// CHECK: arith.addi %[[MU]], %[[AT]] : i32
// CHECK: arith.bitcast %{{.*}} : i16 to f16
// CHECK-NOT: itq3.matmul_into
// The vector decode: 16 bytes that end with the group (the 3 before its
// trits are its own scales), spread over 64 trit lanes (lane j takes byte
// j / 5), the digits in i16, c_mu + c_alpha t in i8 over the 64 lanes, and
// the half of the 32 columns asked for selected.
// VEC-LABEL: func @twla_int8
// VEC: %[[BYTES:.*]] = vector.load %{{.*}} : memref<?x153xi8, {{.*}}>, vector<16xi8>
// VEC: %[[SPREAD:.*]] = vector.shuffle %[[BYTES]], %[[BYTES]] [3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5,
// VEC: arith.extui %[[SPREAD]] : vector<64xi8> to vector<64xi16>
// VEC: arith.trunci %{{.*}} : vector<64xi16> to vector<64xi8>
// VEC: %[[T:.*]] = arith.subi %{{.*}} : vector<64xi8>
// VEC: %[[AT:.*]] = arith.muli %{{.*}}, %[[T]] : vector<64xi8>
// VEC: %[[CODES:.*]] = arith.addi %{{.*}}, %[[AT]] : vector<64xi8>
// VEC-DAG: %[[LOW:.*]] = vector.shuffle %[[CODES]], %[[CODES]] [0, 1,
// VEC-DAG: %[[HIGH:.*]] = vector.shuffle %[[CODES]], %[[CODES]] [32, 33,
// VEC: arith.select %{{.*}}, %[[HIGH]], %[[LOW]] : vector<32xi8>
// VEC-NOT: itq3.matmul_into
func.func @twla_int8(%x: memref<?x576xi8>, %s: memref<?x18xf32>, %w: memref<99x153xi8>, %y: memref<?x99xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<twla> rotation<none>
    : memref<?x576xi8>, memref<99x153xi8>, memref<?x99xf32>, memref<?x18xf32>
  return
}
