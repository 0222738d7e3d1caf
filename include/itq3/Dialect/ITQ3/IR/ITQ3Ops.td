//===- ITQ3Ops.td - itq3 operations ------------------------*- tablegen -*-===//
#ifndef ITQ3_OPS_TD
#define ITQ3_OPS_TD

include "itq3/Dialect/ITQ3/IR/ITQ3Types.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ITQ3_FloatTensor2D : 2DTensorOf<[F32, F16, BF16]>;

//===----------------------------------------------------------------------===//
// itq3.constant
//===----------------------------------------------------------------------===//

def ITQ3_ConstantOp : ITQ3_Op<"constant", [ConstantLike, Pure]> {
  let summary = "A packed weight constant";
  let description = [{
    Holds the stored bytes of a packed weight as an i8 tensor
    [N, rowBytes] (dense or `dense_resource`), exactly as the runtime keeps
    them. Produced by folding `itq3.quantize` of a constant.

    ```mlir
    %w = itq3.constant dense_resource<w0> : tensor<64x110xi8>
           -> !itq3.packed<64x256, itq3_s>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs ITQ3_PackedWeightType:$result);
  let assemblyFormat = "$value attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// itq3.fwht
//===----------------------------------------------------------------------===//

def ITQ3_FWHTOp : ITQ3_Op<"fwht", [Pure, SameOperandsAndResultType]> {
  let summary = "Blockwise orthonormal fast Walsh-Hadamard transform";
  let description = [{
    Rotates every n-block of the last dimension by the orthonormal FWHT-n
    (Sylvester order, scaled by 1/sqrt(n)), n = 256 or, with `block(64)`,
    64 (the rotation of itq3_s64). With `signs(seed)` the block is first
    multiplied by the seeded random sign diagonal D of column positions,
    giving `H D x`, which is how activations are brought into the domain of
    weights stored with that seed. Without signs the op is an involution and
    `fwht(fwht(x))` folds to `x` (same block size).

    ```mlir
    %r = itq3.fwht %x signs(7) : tensor<4x4096xf32>
    %s = itq3.fwht %y block(64) : tensor<4x576xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32, F16, BF16]>:$input,
                       OptionalAttr<I64Attr>:$block,
                       OptionalAttr<I64Attr>:$seed);
  let results = (outs RankedTensorOf<[F32, F16, BF16]>:$result);
  let assemblyFormat = [{
    $input (`block` `(` $block^ `)`)? (`signs` `(` $seed^ `)`)? attr-dict
    `:` type($input)
  }];
  let extraClassDeclaration = [{
    /// The FWHT size: `block`, 256 when absent.
    int64_t getRotationBlock() { return getBlock().value_or(256); }
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// itq3.kron_rotate
//===----------------------------------------------------------------------===//

def ITQ3_KronRotateOp : ITQ3_Op<"kron_rotate",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotates activations [M, K] by a Kronecker product C (x) B";
  let description = [{
    TWLA's activation rotation: each row x of the input, read row-major as
    the l x r matrix X (K = l r), becomes vec(C X B^T) = (C (x) B) x, with
    C [l, l] and B [r, r] (orthogonal, learned or fixed per linear; the
    weights were rotated offline by the same product). It costs K (l + r)
    multiply-adds per row instead of K^2. Like `itq3.fwht`, it is lowered
    only fused into `itq3.quantize_act`, which the canonicalizer forms
    from `quantize_act(kron_rotate(x, C, B))`.

    ```mlir
    %r = itq3.kron_rotate %x by %c, %b
           : tensor<1x576xf32>, tensor<32x32xf32>, tensor<18x18xf32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[F32]>:$input, 2DTensorOf<[F32]>:$c,
                       2DTensorOf<[F32]>:$b);
  let results = (outs 2DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `by` $c `,` $b attr-dict `:` type($input) `,` type($c) `,` type($b)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.quantize / itq3.dequantize
//===----------------------------------------------------------------------===//

def ITQ3_QuantizeOp : ITQ3_Op<"quantize", [Pure]> {
  let summary = "Quantizes a float weight matrix [N, K] to a packed format";
  let description = [{
    Encodes every row with the codec named by the result type (rotation
    included for rotated formats). On a constant operand this folds to an
    `itq3.constant`: that fold is the offline quantization of the compiler.

    ```mlir
    %q = itq3.quantize %w : tensor<4096x4096xf32>
           -> !itq3.packed<4096x4096, itq3_s>
    ```
  }];
  let arguments = (ins ITQ3_FloatTensor2D:$input);
  let results = (outs ITQ3_PackedWeightType:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def ITQ3_DequantizeOp : ITQ3_Op<"dequantize", [Pure]> {
  let summary = "Decodes a packed weight back to floats in the weight domain";
  let description = [{
    The inverse of `itq3.quantize` up to the quantization error: blocks are
    decoded and, for rotated formats, the rotation is undone. Folds on a
    constant operand.

    ```mlir
    %w = itq3.dequantize %q : !itq3.packed<64x256, q4> -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins ITQ3_PackedWeightType:$input);
  let results = (outs ITQ3_FloatTensor2D:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// itq3.quantize_act
//===----------------------------------------------------------------------===//

def ITQ3_QuantizeActOp : ITQ3_Op<"quantize_act",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Quantizes activations [M, K] to int8 with one scale per 32";
  let description = [{
    Symmetric per-32 quantization of activations for the integer matmul
    paths: `scales[m, b] = max(|x[m, 32b .. 32b+31]|) / 127` and
    `values = round(x / scale)`. K must be a multiple of 32; M may be
    dynamic.

    With `rotate`, every 256-block (with `block(64)` every 64-block) of a row
    is first rotated as `itq3.fwht` does (after the seeded signs of
    `signs(seed)`), so K must be a multiple of that block. The canonicalizer folds `quantize_act(fwht(x))` into this form,
    which is what the buffer form `itq3.quantize_act_into` computes in one
    pass over the activations. With `kron(C, B)` every row is first rotated
    as `itq3.kron_rotate` does (from `quantize_act(kron_rotate(x, C, B))`).

    With `bits(b)` (2 <= b <= 7) the quantization is TWLA's instead: per
    row, asymmetric, b bits with the clip ratio `clip(c)` (0 < c <= 1,
    default 1): lo = c min(x), hi = c max(x), scale = (hi - lo) / (2^b - 1),
    z = round(clamp(-lo / scale, 2^b - 128, 127)), q = clamp(round(x / scale)
    + z, 0, 2^b - 1), rounding halves to even, and the int8 value is q - z
    (|q - z| <= 127, which is why 8 bits are refused: their codes would not
    fit) with every scale of the row equal to `scale`, so the int8 products
    of every format consume it unchanged. A row of one value v keeps it
    exactly: values 1, scales v. This is lib/Format's
    quantizeTokenAsymmetric.

    ```mlir
    %v, %s = itq3.quantize_act %x : tensor<1x4096xf32>
               -> tensor<1x4096xi8>, tensor<1x128xf32>
    %rv, %rs = itq3.quantize_act %x rotate signs(7) : tensor<1x4096xf32>
               -> tensor<1x4096xi8>, tensor<1x128xf32>
    %tv, %ts = itq3.quantize_act %x kron(%c, %b) bits(4) clip(0.85)
               : tensor<1x576xf32>, tensor<32x32xf32>, tensor<18x18xf32>
               -> tensor<1x576xi8>, tensor<1x18xf32>
    ```
  }];
  let arguments = (ins ITQ3_FloatTensor2D:$input,
                       Optional<2DTensorOf<[F32]>>:$kronC,
                       Optional<2DTensorOf<[F32]>>:$kronB,
                       UnitAttr:$rotate, OptionalAttr<I64Attr>:$block,
                       OptionalAttr<I64Attr>:$seed,
                       OptionalAttr<I64Attr>:$bits,
                       OptionalAttr<F32Attr>:$clip);
  let results = (outs 2DTensorOf<[I8]>:$values, 2DTensorOf<[F32]>:$scales);
  let assemblyFormat = [{
    $input (`rotate` $rotate^)? (`block` `(` $block^ `)`)?
    (`signs` `(` $seed^ `)`)?
    (`kron` `(` $kronC^ `,` $kronB `)`)? (`bits` `(` $bits^ `)`)?
    (`clip` `(` $clip^ `)`)? attr-dict
    `:` type($input) (`,` type($kronC)^ `,` type($kronB))?
    `->` type($values) `,` type($scales)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$values, "::mlir::Type":$scales,
                   "::mlir::Value":$input), [{
      build($_builder, $_state, values, scales, input, /*kronC=*/nullptr,
            /*kronB=*/nullptr, /*rotate=*/false, /*block=*/nullptr,
            /*seed=*/nullptr, /*bits=*/nullptr, /*clip=*/nullptr);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The FWHT size with `rotate`: `block`, 256 when absent.
    int64_t getRotationBlock() { return getBlock().value_or(256); }
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// itq3.matmul
//===----------------------------------------------------------------------===//

def ITQ3_MatmulOp : ITQ3_Op<"matmul", [Pure]> {
  let summary = "y[M, N] = x[M, K] * W[N, K]^T with a packed weight W";
  let description = [{
    Multiplies activations by the transpose of a packed weight. The
    `rotation` attribute says where a rotated format's rotation is undone:
    `weight` (x is in the weight domain; tiles of W are decoded and inverse
    transformed), `activation` (x was already rotated by `itq3.fwht` with the
    weight's seed). Unrotated formats use `none`.

    The activations are either floats, or int8 values with one f32 scale per
    32 (from `itq3.quantize_act`), given after `scales`; the integer form
    never takes `rotation<weight>`, since un-rotating weights inside an
    integer product would need rounding back to int8.

    ```mlir
    %y = itq3.matmul %x, %w rotation<weight>
           : tensor<1x4096xf32>, !itq3.packed<4096x4096, itq3_s>
           -> tensor<1x4096xf32>
    %z = itq3.matmul %xq, %w scales %xs rotation<activation>
           : tensor<1x4096xi8>, !itq3.packed<4096x4096, itq3_s>,
             tensor<1x128xf32> -> tensor<1x4096xf32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[F32, F16, BF16, I8]>:$input,
                       ITQ3_PackedWeightType:$weight,
                       Optional<2DTensorOf<[F32]>>:$input_scales,
                       ITQ3_RotationAttr:$rotation);
  let results = (outs ITQ3_FloatTensor2D:$result);
  let assemblyFormat = [{
    $input `,` $weight (`scales` $input_scales^)? `rotation` `` $rotation
    attr-dict `:` type($input) `,` qualified(type($weight))
    (`,` type($input_scales)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.matmul_into
//===----------------------------------------------------------------------===//

def ITQ3_MatmulIntoOp : ITQ3_Op<"matmul_into"> {
  let summary = "The buffer form of itq3.matmul: y = x * W^T into a memref";
  let description = [{
    What kernels are generated from. The packed weight is its stored bytes,
    `memref<N x rowBytes x i8>` (row slices allowed), with the format as an
    attribute; `result` [M, N] is overwritten, or with `accumulate` added
    to (y += x W^T: what y holds is the accumulators' initial value).
    Activations, scales and `rotation` follow the rules of `itq3.matmul`.
    `--itq3-tile` splits it into an `scf.forall` over tiles of M and N
    whose bodies are `itq3.matmul_into` on subviews.

    ```mlir
    itq3.matmul_into %x, %w into %y format<itq3_s> rotation<weight>
      : memref<?x512xf32>, memref<64x220xi8>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F32, I8], [2]>, "activations [M, K]", [MemRead]>:$input,
    Arg<MemRefRankOf<[I8], [2]>, "packed weight bytes [N, rowBytes]",
        [MemRead]>:$weight,
    Arg<MemRefRankOf<[F32], [2]>, "result [M, N]", [MemWrite]>:$result,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "activation scales [M, K/32]",
        [MemRead]>:$input_scales,
    ITQ3_FormatAttr:$format,
    ITQ3_RotationAttr:$rotation,
    UnitAttr:$accumulate);
  let assemblyFormat = [{
    $input `,` $weight `into` $result (`scales` $input_scales^)?
    `format` `` $format `rotation` `` $rotation (`accumulate` $accumulate^)?
    attr-dict `:` type($input) `,` type($weight) `,` type($result)
    (`,` type($input_scales)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.twin_matmul_into
//===----------------------------------------------------------------------===//

def ITQ3_TwinMatmulIntoOp : ITQ3_Op<"twin_matmul_into"> {
  let summary = "y = x R^T + (x V^T) U^T: TwinQuant's fused low-rank kernel";
  let description = [{
    The product of a TwinQuant weight W ~ U V + R (lib/Format TwinQuant.h):
    the residual R [N, K] in `format` (its stored rows, as `matmul_into`
    takes them), the factors U^T [rank, N] (U by columns) and V [rank, K]
    in `factors` (q8 or q4, per 32 along N and K). Activations, scales and
    `rotation` follow the rules of `itq3.matmul` for the residual; V
    multiplies the same activations (so with `rotation<activation>` its
    rows must be stored in the rotated domain too).

    `--itq3-tile` lowers it to ONE `scf.forall` over tiles of M and N
    (one GPU kernel): per tile, t = x V^T for the tile's rows into a tile
    stage [tile M, rank], then t U^T for the tile's columns into a second
    stage [tile M, tile N] (`itq3.lowrank_expand_into`), the residual's
    product accumulated onto it (`matmul_into ... accumulate`), and one
    epilogue phase that writes the tile of y. Both stages are workgroup
    memory on GPUs, never global: y is the only global store. t is
    recomputed per tile of N (rank / tile N of the work).

    ```mlir
    itq3.twin_matmul_into %x, %r, %ut, %v into %y format<q4> factors<q4>
        rotation<none>
      : memref<?x1536xf32>, memref<256x864xi8>, memref<24x144xi8>,
        memref<24x864xi8>, memref<?x256xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F32, I8], [2]>, "activations [M, K]", [MemRead]>:$input,
    Arg<MemRefRankOf<[I8], [2]>, "residual bytes [N, rowBytes]",
        [MemRead]>:$residual,
    Arg<MemRefRankOf<[I8], [2]>, "U^T bytes [rank, N bytes]", [MemRead]>:$ut,
    Arg<MemRefRankOf<[I8], [2]>, "V bytes [rank, K bytes]", [MemRead]>:$v,
    Arg<MemRefRankOf<[F32], [2]>, "result [M, N]", [MemWrite]>:$result,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "activation scales [M, K/32]",
        [MemRead]>:$input_scales,
    ITQ3_FormatAttr:$format,
    ITQ3_FormatAttr:$factors,
    ITQ3_RotationAttr:$rotation);
  let assemblyFormat = [{
    $input `,` $residual `,` $ut `,` $v `into` $result
    (`scales` $input_scales^)? `format` `` $format `factors` `` $factors
    `rotation` `` $rotation attr-dict
    `:` type($input) `,` type($residual) `,` type($ut) `,` type($v) `,`
    type($result) (`,` type($input_scales)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.lowrank_expand_into
//===----------------------------------------------------------------------===//

def ITQ3_LowRankExpandIntoOp : ITQ3_Op<"lowrank_expand_into"> {
  let summary = "y = t U^T for columns n0.. of a column-blocked factor U^T";
  let description = [{
    The low-rank phase of TwinQuant's fused kernel (what `--itq3-tile`
    makes of `itq3.twin_matmul_into`): `result[m, c] = sum_j t[m, j] *
    U^T[j, column + c]`, with `ut` the whole stored U^T [rank, N bytes]
    (rows of q8 or q4 blocks along N) and `column` the first of the tile's
    columns. `column` and the result's columns are multiples of 32, so each
    32 columns are one block of every row of U^T.

    `--itq3-stage-tiles` lowers it to a phase over (row, column) that sums
    the rank with the scalar decode, or, with `vector-decode`, over blocks
    of 32 columns with one vector decode of 32 values of U^T per rank step
    for all the rows.

    ```mlir
    itq3.lowrank_expand_into %t, %ut[%n0] into %y factors<q8>
      : memref<8x64xf32>, memref<64x476xi8>, memref<?x32xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F32], [2]>, "t = x V^T [M, rank]", [MemRead]>:$input,
    Arg<MemRefRankOf<[I8], [2]>, "U^T bytes [rank, N bytes]", [MemRead]>:$ut,
    Index:$column,
    Arg<MemRefRankOf<[F32], [2]>, "result [M, columns]", [MemWrite]>:$result,
    ITQ3_FormatAttr:$factors);
  let assemblyFormat = [{
    $input `,` $ut `[` $column `]` `into` $result `factors` `` $factors
    attr-dict `:` type($input) `,` type($ut) `,` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.quantize_act_into
//===----------------------------------------------------------------------===//

def ITQ3_QuantizeActIntoOp : ITQ3_Op<"quantize_act_into",
    [AttrSizedOperandSegments]> {
  let summary = "The buffer form of itq3.quantize_act, rotation optionally fused";
  let description = [{
    Quantizes activations [M, K] to int8 with one f32 scale per 32, as
    `itq3.quantize_act` does. With `rotate`, every 256-block (or, with
    `block(64)`, 64-block) of a row is first rotated by the FWHT (after the
    seeded signs of `signs(seed)`), as `itq3.fwht` does: the activation side of `rotation<activation>`, done
    once per row instead of once per weight tile; with `kron(C, B)` the row
    is rotated by C (x) B as `itq3.kron_rotate` does. `bits` and `clip`
    select TWLA's per-row asymmetric quantization (`itq3.quantize_act`).
    `--itq3-stage-tiles` lowers it to a loop of one tile per (row, block),
    or per row with `kron` or `bits`.
    Rounding is to the nearest integer, halves away from zero (per-32), or
    halves to even (`bits`).

    ```mlir
    itq3.quantize_act_into %x into %q, %s rotate signs(7)
      : memref<?x4096xf32>, memref<?x4096xi8>, memref<?x128xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F32], [2]>, "activations [M, K]", [MemRead]>:$input,
    Arg<MemRefRankOf<[I8], [2]>, "int8 values [M, K]", [MemWrite]>:$values,
    Arg<MemRefRankOf<[F32], [2]>, "scales [M, K/32]", [MemWrite]>:$scales,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "C [l, l]", [MemRead]>:$kronC,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "B [r, r]", [MemRead]>:$kronB,
    UnitAttr:$rotate,
    OptionalAttr<I64Attr>:$block,
    OptionalAttr<I64Attr>:$seed,
    OptionalAttr<I64Attr>:$bits,
    OptionalAttr<F32Attr>:$clip);
  let extraClassDeclaration = [{
    /// The FWHT size with `rotate`: `block`, 256 when absent.
    int64_t getRotationBlock() { return getBlock().value_or(256); }
  }];
  let assemblyFormat = [{
    $input `into` $values `,` $scales (`rotate` $rotate^)?
    (`block` `(` $block^ `)`)? (`signs` `(` $seed^ `)`)? (`kron` `(` $kronC^ `,` $kronB `)`)?
    (`bits` `(` $bits^ `)`)? (`clip` `(` $clip^ `)`)? attr-dict
    `:` type($input) `,` type($values) `,` type($scales)
    (`,` type($kronC)^ `,` type($kronB))?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.dot_i8
//===----------------------------------------------------------------------===//

def ITQ3_DotI8Op : ITQ3_Op<"dot_i8"> {
  let summary = "i32 dot product of `length` consecutive int8 values of two rows";
  let description = [{
    `sum_{e < length} lhs[lhsRow, lhsCol + e] * rhs[rhsRow, rhsCol + e]`,
    the integer core of the int8 product (one activation block of 32).
    Kept as one op so each target picks its instruction: vector
    multiply-reduce on the CPU (`--convert-itq3-to-cpu`), `dp4a` on NVIDIA
    GPUs (`--convert-itq3-to-nvvm`). `length` is a multiple of 4 and the
    rows are contiguous; the caller guarantees that both starting addresses
    are 4-byte aligned (GPUs load them as 32-bit words).

    ```mlir
    %d = itq3.dot_i8 %codes[%n, %c0], %x[%m, %k0] length(32)
           : memref<32x256xi8>, memref<?x4096xi8>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[I8], [2]>, "", [MemRead]>:$lhs,
    Index:$lhsRow, Index:$lhsCol,
    Arg<MemRefRankOf<[I8], [2]>, "", [MemRead]>:$rhs,
    Index:$rhsRow, Index:$rhsCol,
    ConfinedAttr<I64Attr, [IntPositive]>:$length);
  let results = (outs I32:$result);
  let assemblyFormat = [{
    $lhs `[` $lhsRow `,` $lhsCol `]` `,` $rhs `[` $rhsRow `,` $rhsCol `]`
    `length` `(` $length `)` attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.mma
//===----------------------------------------------------------------------===//

def ITQ3_MmaOp : ITQ3_Op<"mma"> {
  let summary = "A 16x8 block of dot products over `length` columns (tensor cores)";
  let description = [{
    For i < 16 and j < 8:
    `acc[accRow + i, accCol + j] = (accumulate ? acc[accRow + i, accCol + j] : 0)
       + sum_{e < length} lhs[lhsRow + i, lhsCol + e] * rhs[rhsRow + j, rhsCol + e]`
    with int8 operands into i32 or f16 operands into f32 (products and sums
    exact in i32; in f32 for f16). The block is the shape of `mma.sync`
    (m16n8k32 for int8, m16n8k16 for f16): on NVIDIA GPUs
    (`--convert-itq3-to-nvvm`) the op is warp-collective, every lane of a
    warp runs it with the same operands, and `--convert-itq3-to-gpu` gives
    each iteration of a phase holding one to a whole warp. On the CPU
    (`--convert-itq3-to-cpu`) it is loops of vector dot products. Rows are
    contiguous; the caller guarantees 4-byte aligned operand rows and
    columns and 8-byte aligned accumulator pairs (even `accCol` and row
    length), which stage buffers give.

    ```mlir
    itq3.mma %x[%r, %c0], %codes[%n, %c0] into %dots[%r, %n] length(32)
      : memref<16x256xi8>, memref<32x256xi8>, memref<16x32xi32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[I8, F16], [2]>, "", [MemRead]>:$lhs,
    Index:$lhsRow, Index:$lhsCol,
    Arg<MemRefRankOf<[I8, F16], [2]>, "", [MemRead]>:$rhs,
    Index:$rhsRow, Index:$rhsCol,
    Arg<MemRefRankOf<[I32, F32], [2]>, "", [MemRead, MemWrite]>:$acc,
    Index:$accRow, Index:$accCol,
    ConfinedAttr<I64Attr, [IntPositive]>:$length,
    UnitAttr:$accumulate);
  let assemblyFormat = [{
    $lhs `[` $lhsRow `,` $lhsCol `]` `,` $rhs `[` $rhsRow `,` $rhsCol `]`
    `into` $acc `[` $accRow `,` $accCol `]` `length` `(` $length `)`
    (`accumulate` $accumulate^)? attr-dict
    `:` type($lhs) `,` type($rhs) `,` type($acc)
  }];
  let extraClassDeclaration = [{
    /// Rows of lhs and rhs per op (the mma.sync M and N).
    static constexpr int64_t kRows = 16, kCols = 8;
    /// Columns per mma.sync step for operands of `element`: 32 for int8,
    /// 16 for f16.
    static int64_t stepFor(Type element) {
      return element.isInteger(8) ? 32 : 16;
    }
    int64_t getStep() { return stepFor(getLhs().getType().getElementType()); }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// itq3.stage_fwht
//===----------------------------------------------------------------------===//

def ITQ3_StageFWHTOp : ITQ3_Op<"stage_fwht"> {
  let summary = "Unnormalized FWHT in place over the staged rows of a tile";
  let description = [{
    Replaces each of the first `rows` rows of `buffer` [R x n], n = 256 or
    64, by sqrt(n) H times it: the sums and differences of the fast
    Walsh-Hadamard transform without its 1/sqrt(n) (H is its own inverse,
    so this is also the inverse transform up to that factor, which callers
    fold elsewhere). `--itq3-stage-tiles` places it where a staged weight
    tile is un-rotated (`rotation<weight>`) and where staged activations are
    rotated; `--itq3-fuse-inverse-fwht` expands it into the log2(n)
    butterfly phases.

    ```mlir
    itq3.stage_fwht %stage rows(%n) : memref<32x256xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F32], [2]>, "", [MemRead, MemWrite]>:$buffer,
    Index:$rows);
  let assemblyFormat = "$buffer `rows` `(` $rows `)` attr-dict `:` type($buffer)";
  let hasVerifier = 1;
}

include "itq3/Dialect/ITQ3/IR/ITQ3ModelOps.td"

#endif // ITQ3_OPS_TD
