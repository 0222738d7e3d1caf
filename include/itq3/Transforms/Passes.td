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

#endif // ITQ3_TRANSFORMS_PASSES_TD
