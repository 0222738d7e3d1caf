// RUN: itq3-opt %s --itq3-to-cpu-llvm="target-features=+avx2,+fma" | FileCheck %s --check-prefix=AVX2
// RUN: itq3-opt %s --itq3-to-cpu-llvm | FileCheck %s --check-prefix=GENERIC
// RUN: itq3-opt %s --itq3-to-cpu-llvm="target-features=+avx2,+fma,+avx512vnni,+avx512vl" | FileCheck %s --check-prefix=VNNI
// RUN: itq3-opt %s --itq3-to-cpu-llvm="target-features=+avx2,+fma,+avx512vnni,+avx512vl" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=znver4 | FileCheck %s --check-prefix=ZNVER4
// RUN: itq3-opt %s --itq3-to-cpu-llvm="target-features=+avx2,+fma,+avx512vnni,+avx512vl,+avx512bw,+avx512vbmi" | FileCheck %s --check-prefix=VBMI
// RUN: itq3-opt %s --itq3-to-cpu-llvm="target-features=+avx2,+fma" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=znver3 | FileCheck %s --check-prefix=ZNVER3
// RUN: itq3-opt %s --itq3-to-cpu-llvm | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=x86-64 | FileCheck %s --check-prefix=X86-64

// The CPU's int8 products. With AVX2 in the target's features: |x| (abs),
// the codes with x's sign (vpsignb), vpmaddubsw and vpmaddwd with ones,
// per group of 32; then one i32 sum per group from a tree of pair adds
// whose last level adds the two halves. Without: generic vector code
// (sign extensions and multiplies), which any x86-64 runs.

// AVX2-LABEL: llvm.func @q8
// AVX2: %[[ABS:.*]] = "llvm.intr.abs"(%[[X:.*]]) <{is_int_min_poison = false}> : (vector<32xi8>) -> vector<32xi8>
// AVX2: %[[SIGNED:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%{{.*}}, %[[X]]) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
// AVX2: %[[PAIRS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[ABS]], %[[SIGNED]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[PAIRS]], %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: llvm.shufflevector %{{.*}}, %{{.*}} [0, 1, 2, 3, 8, 9, 10, 11] : vector<8xi32>
// AVX2: llvm.shufflevector %{{.*}}, %{{.*}} [4, 5, 6, 7, 12, 13, 14, 15] : vector<8xi32>
// AVX2-LABEL: llvm.func @_mlir_ciface_q8

// With AVX512-VNNI (and VL), from 4 activation rows per call: panels. Once
// per tile x + 128 (xor 0x80) into a stage; per chunk the codes decoded row
// by row, then per 16 rows and group transposed by shuffles (the first
// level merges two rows' 8 quads) into one vector per quad of 16 rows, and
// their biases, -128 * (sum of their 4 codes) per lane, from vpdpbusd of
// 0x80 bytes; per row of activations and quad one 512-bit vpdpbusd per
// vector of 16 weight rows.
// VNNI-LABEL: llvm.func @q8
// VNNI-NOT: llvm.x86.avx2.pmadd.ub.sw
// VNNI: %[[ROWS:.*]] = llvm.mlir.constant(4 : index) : i64
// VNNI: llvm.icmp "uge" %{{.*}}, %[[ROWS]] : i64
// VNNI: llvm.xor %{{.*}}, %{{.*}} : vector<32xi8>
// VNNI: llvm.shufflevector %{{.*}}, %{{.*}} [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] : vector<8xi32>
// VNNI: %[[PANEL_SUM:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[BYTES_128:.*]], %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[PANEL_SUM]], %[[BYTES_128]], %{{.*}})
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: llvm.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// Fewer rows: register blocking. q8's codes with the sign bit flipped
// (w + 128) are the unsigned operand of one 256-bit vpdpbusd per activation
// row and group, x the signed one; 128 * (the sum of x over the group),
// computed once per tile, comes off each group's sum.
// VNNI: %[[SUM:.*]] = "llvm.intr.vector.reduce.add"(%{{.*}}) : (vector<32xi32>) -> i32
// VNNI: llvm.mul %[[SUM]], %{{.*}} : i32
// VNNI: %[[W:.*]] = llvm.xor %{{.*}}, %{{.*}} : vector<32xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %[[W]], %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// VNNI: %[[DOTS:.*]] = llvm.sub %{{.*}}, %{{.*}} : vector<8xi32>
// VNNI: llvm.sitofp %[[DOTS]] : vector<8xi32> to vector<8xf32>
// VNNI-NOT: llvm.x86.avx2.pmadd.ub.sw
// VNNI-LABEL: llvm.func @_mlir_ciface_q8

// ZNVER4-LABEL: q8:
// ZNVER4-NOT: vpmaddubsw
// ZNVER4-DAG: vpdpbusd {{.*}}%zmm
// ZNVER4-DAG: vpdpbusd {{.*}}%ymm
// ZNVER4-NOT: vpmaddubsw
// ZNVER4-LABEL: _mlir_ciface_q8:

// GENERIC-LABEL: llvm.func @q8
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: llvm.sext %{{.*}} : vector<32xi8> to vector<32xi32>
// GENERIC: llvm.mul %{{.*}}, %{{.*}} : vector<32xi32>
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC-LABEL: llvm.func @_mlir_ciface_q8

// ZNVER3-LABEL: q8:
// ZNVER3: vpsignb
// ZNVER3: vpmaddubsw
// ZNVER3: vpmaddwd
// ZNVER3-LABEL: _mlir_ciface_q8:

// X86-64-LABEL: q8:
// X86-64-NOT: vpmaddubsw
// X86-64-NOT: {{ymm}}
// X86-64: pmaddwd
// X86-64-LABEL: _mlir_ciface_q8:
func.func @q8(%x: memref<?x256xi8>, %w: memref<64x272xi8>, %y: memref<?x64xf32>, %s: memref<?x8xf32>) attributes {llvm.emit_c_interface} {
  itq3.matmul_into %x, %w into %y scales %s format<q8> rotation<none>
    : memref<?x256xi8>, memref<64x272xi8>, memref<?x64xf32>, memref<?x8xf32>
  return
}

// The grid formats' codes are signed: below 4 rows, x + 128 (xor 0x80) is
// staged once per tile and is the unsigned operand; per weight group, once,
// the lanes' initial values -128 * (sum of their 4 codes); per activation
// row, one vpdpbusd of the staged bytes from those initial values.
// VNNI-LABEL: llvm.func @iq3
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: %[[X:.*]] = llvm.load %{{.*}} : !llvm.ptr -> vector<32xi8>
// VNNI: %[[U:.*]] = llvm.xor %[[X]], %[[SIGN:.*]] : vector<32xi8>
// VNNI: llvm.store %[[U]], %{{.*}} : vector<32xi8>, !llvm.ptr
// VNNI: %[[W:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : vector<32xi1>, vector<32xi8>
// VNNI: %[[BIAS:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[ZERO:.*]], %[[SIGN]], %[[W]]) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// VNNI: %[[INIT:.*]] = llvm.sub %[[ZERO]], %[[BIAS]] : vector<8xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[INIT]], %{{[0-9]+}}, %[[W]])
// VNNI-LABEL: llvm.func @_mlir_ciface_iq3

// With AVX512-VBMI, a block of 256 weights decodes without gathers: per byte
// position of the tuples, 4 vpermi2b over 128 entries of the grid each, the
// segment chosen by bit 7 of the index byte and the high index bit.
// VBMI-LABEL: llvm.func @iq3
// VBMI-NOT: llvm.intr.masked.gather
// VBMI: %[[LOW:.*]] = llvm.load %{{.*}} : !llvm.ptr -> vector<64xi8>
// VBMI: llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"(%{{.*}}, %[[LOW]], %{{.*}}) : (vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// VBMI: llvm.select %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi1>, vector<64xi8>
// VBMI: llvm.shufflevector %{{.*}}, %{{.*}} [0, 64, 1, 65
// VBMI: llvm.select %{{.*}}, %{{.*}}, %{{.*}} : vector<256xi1>, vector<256xi8>
// VBMI-NOT: llvm.intr.masked.gather
// VBMI-LABEL: llvm.func @_mlir_ciface_iq3
func.func @iq3(%x: memref<?x256xi8>, %w: memref<64x110xi8>, %y: memref<?x64xf32>, %s: memref<?x8xf32>) attributes {llvm.emit_c_interface} {
  itq3.matmul_into %x, %w into %y scales %s format<iq3> rotation<none>
    : memref<?x256xi8>, memref<64x110xi8>, memref<?x64xf32>, memref<?x8xf32>
  return
}
