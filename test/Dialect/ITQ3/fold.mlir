// RUN: itq3-opt %s -canonicalize -split-input-file | FileCheck %s

// Quantizing a constant is a fold: the packed bytes come from lib/Format.
// CHECK-LABEL: func @fold_quantize
// CHECK-NOT: itq3.quantize
// CHECK: %[[W:.*]] = itq3.constant dense_resource<itq3_packed> : tensor<4x110xi8> -> !itq3.packed<4x256, itq3_s>
// CHECK: return %[[W]]
// CHECK: itq3_packed: "0x
func.func @fold_quantize() -> !itq3.packed<4x256, itq3_s> {
  %w = arith.constant dense<0.5> : tensor<4x256xf32>
  %q = itq3.quantize %w : tensor<4x256xf32> -> !itq3.packed<4x256, itq3_s>
  return %q : !itq3.packed<4x256, itq3_s>
}

// -----

// ptqtp folds too: 7 rows of 3 blocks of 56 bytes (3.5 bits per weight).
// Every block of the constant -0.25 is d = 0x1808 (fp16), m1 = 64, m2 = 63,
// all trits -1 (byte 0) but the padding trit of each group (byte 12 = 2).
// CHECK-LABEL: func @fold_quantize_ptqtp
// CHECK-NOT: itq3.quantize
// CHECK: %[[W:.*]] = itq3.constant dense_resource<[[BLOB:.*]]> : tensor<7x168xi8> -> !itq3.packed<7x384, ptqtp>
// CHECK: return %[[W]]
// CHECK: [[BLOB]]: "0x010000000818403F00000000000000000000000002000000000000000000000000020000
func.func @fold_quantize_ptqtp() -> !itq3.packed<7x384, ptqtp> {
  %w = arith.constant dense<-0.25> : tensor<7x384xf32>
  %q = itq3.quantize %w : tensor<7x384xf32> -> !itq3.packed<7x384, ptqtp>
  return %q : !itq3.packed<7x384, ptqtp>
}

// -----

// A constant row is one level, d (m1 + m2) = 127 d with t1 = t2 = -1: the
// fold of quantize then dequantize gives it back to fp16 precision of d.
// CHECK-LABEL: func @fold_ptqtp_round_trip
// CHECK-NOT: itq3.
// CHECK: %[[C:.*]] = arith.constant dense<-0.249984741> : tensor<2x128xf32>
// CHECK: return %[[C]]
func.func @fold_ptqtp_round_trip() -> tensor<2x128xf32> {
  %w = arith.constant dense<-0.25> : tensor<2x128xf32>
  %q = itq3.quantize %w : tensor<2x128xf32> -> !itq3.packed<2x128, ptqtp>
  %d = itq3.dequantize %q : !itq3.packed<2x128, ptqtp> -> tensor<2x128xf32>
  return %d : tensor<2x128xf32>
}

// -----

// q8 stores integers up to 127 exactly (scale 1), so the round trip folds to
// the original values.
// CHECK-LABEL: func @fold_q8_round_trip
// CHECK-NOT: itq3.
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.270000e+02, -6.400000e+01, 3.000000e+00, -1.000000e+00, -1.400000e+01
// CHECK: return %[[C]]
func.func @fold_q8_round_trip() -> tensor<1x32xf32> {
  %w = arith.constant dense<[[127.0, -64.0, 3.0, -1.0, -14.0, -13.0, -12.0, -11.0, -10.0, -9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0]]> : tensor<1x32xf32>
  %q = itq3.quantize %w : tensor<1x32xf32> -> !itq3.packed<1x32, q8>
  %d = itq3.dequantize %q : !itq3.packed<1x32, q8> -> tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

// -----

// A hand-written f16 blob (1.0, -2.0) dequantizes to those values.
// CHECK-LABEL: func @fold_dequantize_resource
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, -2.000000e+00]]> : tensor<1x2xf32>
// CHECK: return %[[C]]
func.func @fold_dequantize_resource() -> tensor<1x2xf32> {
  %p = itq3.constant dense_resource<w> : tensor<1x4xi8> -> !itq3.packed<1x2, f16>
  %d = itq3.dequantize %p : !itq3.packed<1x2, f16> -> tensor<1x2xf32>
  return %d : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000003C00C0"
    }
  }
#-}

// -----

// A weight the codec refuses (NaN) is not folded.
// CHECK-LABEL: func @no_fold_nan
// CHECK: itq3.quantize
func.func @no_fold_nan() -> !itq3.packed<1x32, q4> {
  %w = arith.constant dense<0x7FC00000> : tensor<1x32xf32>
  %q = itq3.quantize %w : tensor<1x32xf32> -> !itq3.packed<1x32, q4>
  return %q : !itq3.packed<1x32, q4>
}

// -----

// The unsigned FWHT is an involution; with signs it is not.
// CHECK-LABEL: func @fold_fwht
// CHECK-SAME: (%[[X:.*]]: tensor<2x256xf32>)
// CHECK: %[[S:.*]] = itq3.fwht %[[X]] signs(5)
// CHECK: %[[T:.*]] = itq3.fwht %[[S]] signs(5)
// CHECK: return %[[X]], %[[T]]
func.func @fold_fwht(%x: tensor<2x256xf32>) -> (tensor<2x256xf32>, tensor<2x256xf32>) {
  %a = itq3.fwht %x : tensor<2x256xf32>
  %b = itq3.fwht %a : tensor<2x256xf32>
  %s = itq3.fwht %x signs(5) : tensor<2x256xf32>
  %t = itq3.fwht %s signs(5) : tensor<2x256xf32>
  return %b, %t : tensor<2x256xf32>, tensor<2x256xf32>
}

// -----

// FWHT-64 twice cancels too, but FWHT-64 after FWHT-256 does not.
// CHECK-LABEL: func @fold_fwht_block64
// CHECK-SAME: (%[[X:.*]]: tensor<2x256xf32>)
// CHECK: %[[A:.*]] = itq3.fwht %[[X]] : tensor<2x256xf32>
// CHECK: %[[C:.*]] = itq3.fwht %[[A]] block(64) : tensor<2x256xf32>
// CHECK: return %[[X]], %[[C]]
func.func @fold_fwht_block64(%x: tensor<2x256xf32>) -> (tensor<2x256xf32>, tensor<2x256xf32>) {
  %a = itq3.fwht %x block(64) : tensor<2x256xf32>
  %b = itq3.fwht %a block(64) : tensor<2x256xf32>
  %c = itq3.fwht %x : tensor<2x256xf32>
  %d = itq3.fwht %c block(64) : tensor<2x256xf32>
  return %b, %d : tensor<2x256xf32>, tensor<2x256xf32>
}

// -----

// The rotation of activations folds into their quantizer (one pass over x);
// a rotation with other users stays for them.
// CHECK-LABEL: func @fuse_rotation_into_quantize_act
// CHECK-SAME: (%[[X:.*]]: tensor<?x256xf32>)
// CHECK: itq3.quantize_act %[[X]] rotate signs(3) :
// CHECK: %[[R:.*]] = itq3.fwht %[[X]] : tensor<?x256xf32>
// CHECK: itq3.quantize_act %[[X]] rotate :
// CHECK: return %{{.*}}, %{{.*}}, %[[R]] :
func.func @fuse_rotation_into_quantize_act(%x: tensor<?x256xf32>) -> (tensor<?x256xi8>, tensor<?x256xi8>, tensor<?x256xf32>) {
  %r = itq3.fwht %x signs(3) : tensor<?x256xf32>
  %v, %s = itq3.quantize_act %r : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x8xf32>
  %p = itq3.fwht %x : tensor<?x256xf32>
  %u, %t = itq3.quantize_act %p : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x8xf32>
  return %v, %u, %p : tensor<?x256xi8>, tensor<?x256xi8>, tensor<?x256xf32>
}

// -----

// The block size of the rotation goes with it into the quantizer.
// CHECK-LABEL: func @fuse_rotation64_into_quantize_act
// CHECK: itq3.quantize_act %{{.*}} rotate block(64) signs(3) :
func.func @fuse_rotation64_into_quantize_act(%x: tensor<?x576xf32>) -> tensor<?x576xi8> {
  %r = itq3.fwht %x block(64) signs(3) : tensor<?x576xf32>
  %v, %s = itq3.quantize_act %r : tensor<?x576xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
  return %v : tensor<?x576xi8>
}

// -----

// twla folds through its codec (the weight-only fit): 7 rows of 9 groups of
// 64 in 17 bytes (2.125 bits per weight). A constant group is its mean
// alone: d = 0x1808 (fp16 of 0.25 / 127), c_mu = -127 (0x81), c_alpha = 0,
// and every trit 0 (thirteen bytes of five unsigned digits 1: 0x80).
// CHECK-LABEL: func @fold_quantize_twla
// CHECK-NOT: itq3.quantize
// CHECK: %[[W:.*]] = itq3.constant dense_resource<[[BLOB:.*]]> : tensor<7x153xi8> -> !itq3.packed<7x576, twla>
// CHECK: return %[[W]]
// CHECK: [[BLOB]]: "0x0100000008188100808080808080808080808080800818810080
func.func @fold_quantize_twla() -> !itq3.packed<7x576, twla> {
  %w = arith.constant dense<-0.25> : tensor<7x576xf32>
  %q = itq3.quantize %w : tensor<7x576xf32> -> !itq3.packed<7x576, twla>
  return %q : !itq3.packed<7x576, twla>
}

// -----

// ... and decodes to d c_mu = -127 d, the constant to fp16 precision of d.
// CHECK-LABEL: func @fold_twla_round_trip
// CHECK-NOT: itq3.
// CHECK: %[[C:.*]] = arith.constant dense<-0.249984741> : tensor<2x64xf32>
// CHECK: return %[[C]]
func.func @fold_twla_round_trip() -> tensor<2x64xf32> {
  %w = arith.constant dense<-0.25> : tensor<2x64xf32>
  %q = itq3.quantize %w : tensor<2x64xf32> -> !itq3.packed<2x64, twla>
  %d = itq3.dequantize %q : !itq3.packed<2x64, twla> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

// quantize_act(kron_rotate(x, C, B)) is one quantizer that rotates each row
// as it reads it.
// CHECK-LABEL: func @fuse_kron_rotation
// CHECK-SAME: (%[[X:.*]]: tensor<?x576xf32>, %[[C:.*]]: tensor<32x32xf32>, %[[B:.*]]: tensor<18x18xf32>)
// CHECK-NOT: itq3.kron_rotate
// CHECK: itq3.quantize_act %[[X]] kron(%[[C]], %[[B]]) bits(4) clip(8.500000e-01)
func.func @fuse_kron_rotation(%x: tensor<?x576xf32>, %c: tensor<32x32xf32>, %b: tensor<18x18xf32>) -> (tensor<?x576xi8>, tensor<?x18xf32>) {
  %r = itq3.kron_rotate %x by %c, %b : tensor<?x576xf32>, tensor<32x32xf32>, tensor<18x18xf32>
  %v, %s = itq3.quantize_act %r bits(4) clip(0.85) : tensor<?x576xf32> -> tensor<?x576xi8>, tensor<?x18xf32>
  return %v, %s : tensor<?x576xi8>, tensor<?x18xf32>
}
