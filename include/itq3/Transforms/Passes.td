//===- Passes.td - itq3 model-level passes -----------------*- tablegen -*-===//
#ifndef ITQ3_TRANSFORMS_PASSES_TD
#define ITQ3_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ITQ3QuantizeWeights : Pass<"itq3-quantize-weights"> {
  let summary = "Turn matmuls with constant weights into packed itq3.matmul";
  let description = [{
    Rewrites every `linalg.matmul` whose right-hand side is a float constant
    (either [K, N] with the default indexing maps or [N, K] with the
    transposed-B maps) into `itq3.quantize` of the [N, K] weight followed by
    `itq3.matmul`; a non-zero accumulator is added back with `arith.addf`.
    The quantize folds to a packed constant under `--canonicalize`.
    Rotated formats get `rotation<weight>`; `--itq3-place-rotation` may move
    it later. Weights whose K is not a multiple of the format's block size
    are left alone with a remark, so the caller can pick a fallback format.
  }];
  let dependentDialects = ["::mlir::itq3::ITQ3Dialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"itq3_s\"",
           "Weight format: f16, q8, q4, q3, q3r, iq3 or itq3_s">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random sign diagonal of rotated formats (0 = none)">,
  ];
}

def ITQ3PlaceRotation : Pass<"itq3-place-rotation"> {
  let summary = "Choose where rotated weights are un-rotated: weights or activations";
  let description = [{
    `mode=activation`: every `itq3.matmul` with float activations becomes
    `itq3.fwht` of the activations (with the weight's sign seed) for rotated
    formats, then `itq3.quantize_act` (int8 per 32), then the integer
    `itq3.matmul ... scales ... rotation<activation>` (`rotation<none>` for
    unrotated formats). The rotation is then paid once per activation row
    instead of once per weight tile, and the product runs on int8 (DP4A,
    `mma.sync` s8). f16 weights keep float activations, with a remark.

    `mode=weight`: activations stay in float and rotated matmuls use
    `rotation<weight>` (the inverse FWHT is fused into the weight tile
    decode); a float matmul fed by `itq3.fwht` of its own activations with the
    weight's seed is turned back into that form.
  }];
  let dependentDialects = ["::mlir::itq3::ITQ3Dialect"];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"activation\"",
           "Where the rotation is applied: activation or weight">,
  ];
}

def ITQ3Bufferize : Pass<"itq3-bufferize", "::mlir::ModuleOp"> {
  let summary = "Tensor-level itq3 functions to the buffer form kernels start from";
  let description = [{
    When the module holds tensor-level code (tensor or `!itq3.packed`
    values), runs one-shot bufferization with function boundaries and
    identity layouts (itq3's ops bufferize through their
    BufferizableOpInterface models: packed constants become weight globals,
    `itq3.matmul` and `itq3.quantize_act` new buffers written by their
    `_into` forms), then `buffer-results-to-out-params` with hoisted
    allocations, so results are written in place of the caller's buffer
    with no copy, then the deallocation pipeline, which frees the buffers in
    between. A module of buffer-level kernels only is left as it is.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def ITQ3Tile : Pass<"itq3-tile"> {
  let summary = "Split itq3.matmul_into into an scf.forall over tiles of M and N";
  let description = [{
    Each `itq3.matmul_into` outside a forall becomes
    `scf.forall (%i, %j) in (ceil(M / tile-m), ceil(N / tile-n))` whose body
    runs `itq3.matmul_into` on subviews: rows [i*tile-m, +tile-m) of the
    activations, rows [j*tile-n, +tile-n) of the packed weight bytes. Edge
    tiles are clamped with `arith.minsi`. The loop's dimensions are mapped
    to GPU blocks (`#gpu.block<y>`, `#gpu.block<x>`), which also keeps a
    loop of one tile from being folded away. When a dimension is static and
    divisible the tile size stays static, so later passes can size
    shared-memory stages. A static M smaller than tile-m gives one tile of M
    rows (decode: M = 1..8).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8",
           "Activation rows per tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Weight rows (outputs) per tile">,
  ];
}

def ITQ3StageTiles : Pass<"itq3-stage-tiles", "::mlir::ModuleOp"> {
  let summary = "Lower itq3.matmul_into tiles to staged loops (decode, fused inverse FWHT, product)";
  let description = [{
    Every `itq3.matmul_into` becomes loops over chunks of K (256 columns, or
    32 where K does not split into 256). Per chunk, in phases that are each
    an `scf.parallel` over the tile (independent iterations; a GPU mapping
    puts a barrier after each):

    1. decode: the weight tile's chunk is decoded into a stage buffer
       [tile-n x chunk] with its sub-block scales applied (float path), or
       into int8 codes plus one scale per 32 (int8 path);
    2. for `rotation<weight>`: the inverse FWHT-256 of every staged row, in
       the stage buffer (`itq3.stage_fwht`, which `--itq3-fuse-inverse-fwht`
       expands). Scales are applied before the transform and nothing is
       rounded back to an integer, so this is exact up to float rounding;
       the 1/16 and the sign diagonal D are folded into the product;
    3. product: y[m, n] += sum over the chunk, in f32 (float path), or per
       32 an integer dot product scaled by the weight and activation scales.

    The stage buffer is sized by a static bound on the tile's N: the
    dimension itself, or the constant of the `arith.minsi` that
    `--itq3-tile` clamps edge tiles with. The only format-specific code is
    the block decode (BlockDecoder).

    With `mma`, the product runs on 16x8 blocks (`itq3.mma`, i.e.
    `mma.sync` on GPUs) where the tile's static M is a multiple of 16 and
    its N of 8: the chunk's activations are staged too (as they are for
    int8; rounded to f16 with the signs and the 1/16 applied for float),
    then one phase computes every block. int8: one i32 block per group of
    32 columns (m16n8k32), scaled per group in the product phase as above.
    Float: weights and activations rounded to f16 (m16n8k16), the sum over
    all of K kept in an f32 stage and copied to the result at the end.
    Stages are zero-filled once per tile, so rows beyond an edge tile's M
    and N are zeros. Elsewhere the product stays on dot products.

    With `vector-decode` (the CPU mapping) and int8 activations without
    `mma`, the tile has no stage and no phases: per weight row and chunk the
    groups' codes are decoded into vectors once and every activation row of
    the tile multiplies them (register blocking across M). With `avx2` those
    products are `vpsignb` + `vpmaddubsw` + `vpmaddwd` intrinsics (LLVM
    dialect), otherwise generic vector ops.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"mma", "mma", "bool", /*default=*/"false",
           "Products on 16x8 itq3.mma blocks where the tile shape allows">,
    Option<"vectorDecode", "vector-decode", "bool", /*default=*/"false",
           "Decode weights 32 columns at a time with vector ops (vector "
           "loads, shuffles, a gather of grid entries) where the format "
           "allows, and run the Kronecker rotation of activation "
           "quantizers and TwinQuant's low-rank phase on vectors: for the "
           "CPU mapping; the GPU one keeps one thread per column step">,
    Option<"avx2", "avx2", "bool", /*default=*/"false",
           "With vector-decode, the int8 products use AVX2 intrinsics "
           "(vpsignb, vpmaddubsw, vpmaddwd); only for targets with AVX2">,
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "With avx2, the int8 products use vpdpbusd on 256-bit vectors "
           "(x biased to unsigned, the bias's products subtracted once per "
           "weight group); only for targets with AVX512-VNNI and AVX512VL">,
    Option<"vbmi", "vbmi", "bool", /*default=*/"false",
           "With vector-decode, the grid formats of 256-weight blocks look "
           "their entries up with byte permutes (vpermi2b) instead of "
           "gathers; only for targets with AVX512-VBMI and AVX512BW">,
  ];
}

def ITQ3FuseInverseFWHT : Pass<"itq3-fuse-inverse-fwht"> {
  let summary = "Expand the FWHT of staged tiles into butterfly phases over the stage";
  let description = [{
    Every `itq3.stage_fwht` (from `--itq3-stage-tiles`: the un-rotation of
    a decoded weight tile for `rotation<weight>`, and the rotation of staged
    activation blocks) becomes 8 butterfly stages of strides 1, 2, ..., 128,
    each one phase (`scf.parallel` over (row, pair)) writing `u + v` and
    `u - v` in place. The transform stays in the stage buffer (shared memory
    on GPUs), and the GPU mapping's barrier after each phase keeps every
    stage's reads after the previous stage's writes.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def ITQ3ProfileOps : Pass<"itq3-profile-ops", "::mlir::ModuleOp"> {
  let summary = "Time the products and the attention into a global the runtime reads";
  let description = [{
    Wraps every `itq3.matmul_into` and `itq3.quantize_act_into` (a product
    and the activations it is fed) and every `itq3.attention_into` in two
    calls to `omp_get_wtime`, and adds the seconds between them to
    `@__itq3_profile_seconds` + `suffix` (a public `memref<2xf64>`:
    products, then attention; the suffix keeps the globals of objects linked
    together apart). The runtime reads and resets them by name to split
    the time of a function into matmuls, attention and the rest. For code
    that links libomp (the CPU mapping with OpenMP); a call costs tens of
    nanoseconds, and a layer makes about twenty.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"suffix", "suffix", "std::string", /*default=*/"\"\"",
           "Appended to the name of the accumulators">,
  ];
}

#endif // ITQ3_TRANSFORMS_PASSES_TD
