//===- ITQ3Base.td - The itq3 dialect ----------------------*- tablegen -*-===//
#ifndef ITQ3_BASE_TD
#define ITQ3_BASE_TD

include "mlir/IR/OpBase.td"

def ITQ3_Dialect : Dialect {
  let name = "itq3";
  let cppNamespace = "::mlir::itq3";
  let summary = "Rotated low-bit weight formats and the ops that use them";
  let description = [{
    The `itq3` dialect models offline weight quantization and the matrix
    products that consume packed weights. A weight matrix W is [N, K]
    (N outputs, K inputs); blocks run along K. Rotated formats (`itq3_s`,
    `q3r`) store every 256-block of a row after an orthonormal fast
    Walsh-Hadamard transform H (optionally preceded by seeded random signs
    D), so that `w . x = (D H q) . x = q . (H D x)`: the rotation can be
    undone on the weights or applied to the activations instead.

    Quantization of a constant is a fold: `itq3.quantize` of a dense
    constant becomes an `itq3.constant` holding the packed bytes, encoded by
    the numeric core (lib/Format) that the runtime also uses.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    // Defined next to the storage classes they need.
    void registerAttributes();
    void registerTypes();
  }];
}

class ITQ3_Op<string mnemonic, list<Trait> traits = []>
    : Op<ITQ3_Dialect, mnemonic, traits>;

#endif // ITQ3_BASE_TD
