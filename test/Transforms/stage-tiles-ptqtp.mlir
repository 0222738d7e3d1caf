// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles -canonicalize -split-input-file | FileCheck %s
// RUN: itq3-opt %s -itq3-tile -itq3-stage-tiles="vector-decode=true" -canonicalize -split-input-file | FileCheck %s --check-prefix=VEC

// ptqtp with int8 activations: the trit-planes decode to one int8 code per
// column, m1 t1 + m2 t2 (the int8 path of every format), and one scale d per
// group of 32 (the block's). The scalar decode (the GPU's) reads the byte of
// trit s at s % 13 of its group, digit s / 13, with 3^digit taken from the
// bytes of one i64 word (1, 3, 9, 27, 81 = 348345926401), then
// (q * 3^k mod 256) * 3 >> 8.
// CHECK-LABEL: func @ptqtp_int8
// CHECK-DAG: %[[POWERS:.*]] = arith.constant 348345926401 : i64
// CHECK-DAG: %[[THIRTEEN:.*]] = arith.constant 13 : i32
// CHECK-DAG: memref.alloca() : memref<32x128xi8>
// CHECK-DAG: memref.alloca() : memref<32x4xf32>
// CHECK: arith.remui %{{.*}}, %[[THIRTEEN]] : i32
// CHECK: arith.divui %{{.*}}, %[[THIRTEEN]] : i32
// CHECK: arith.shrui %[[POWERS]], %{{.*}} : i64
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: arith.bitcast %{{.*}} : i16 to f16
// CHECK-NOT: itq3.matmul_into
// The vector decode: 16 bytes that end with the group's 13 (the 3 before
// it are the block's scales or the previous group), spread over 64 trit
// lanes, ((q * 3^(s / 13)) & 255) * 3 >> 8 in i16, then the two planes times
// m1 and m2 in i8. The codes go to the int8 product of every activation row
// without a stage (generic vector code without avx2).
// VEC-LABEL: func @ptqtp_int8
// VEC: %[[BYTES:.*]] = vector.load %{{.*}} : memref<?x168xi8, {{.*}}>, vector<16xi8>
// VEC: %[[SPREAD:.*]] = vector.shuffle %[[BYTES]], %[[BYTES]] [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 3, 4,
// VEC: %[[WIDE:.*]] = arith.extui %[[SPREAD]] : vector<64xi8> to vector<64xi16>
// VEC: %[[SHIFTED:.*]] = arith.muli %[[WIDE]], %{{.*}} : vector<64xi16>
// VEC: %[[FRACTION:.*]] = arith.andi %[[SHIFTED]], %{{.*}} : vector<64xi16>
// VEC: arith.muli %[[FRACTION]], %{{.*}} : vector<64xi16>
// VEC: arith.shrui %{{.*}} : vector<64xi16>
// VEC: arith.trunci %{{.*}} : vector<64xi16> to vector<64xi8>
// VEC: %[[T:.*]] = arith.subi %{{.*}} : vector<64xi8>
// VEC: %[[T1:.*]] = vector.shuffle %[[T]], %[[T]] [0, 1,
// VEC: %[[T2:.*]] = vector.shuffle %[[T]], %[[T]] [32, 33,
// VEC: %[[A1:.*]] = arith.muli %[[T1]], %{{.*}} : vector<32xi8>
// VEC: %[[A2:.*]] = arith.muli %[[T2]], %{{.*}} : vector<32xi8>
// VEC: %[[CODES:.*]] = arith.addi %[[A1]], %[[A2]] : vector<32xi8>
// VEC: scf.for
// VEC: arith.extsi %[[CODES]] : vector<32xi8> to vector<32xi32>
// VEC-NOT: itq3.matmul_into
func.func @ptqtp_int8(%x: memref<?x384xi8>, %s: memref<?x12xf32>, %w: memref<99x168xi8>, %y: memref<?x99xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<ptqtp> rotation<none>
    : memref<?x384xi8>, memref<99x168xi8>, memref<?x99xf32>, memref<?x12xf32>
  return
}
