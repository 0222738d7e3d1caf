//===- ITQ3Attrs.td - itq3 attributes and enums ------------*- tablegen -*-===//
#ifndef ITQ3_ATTRS_TD
#define ITQ3_ATTRS_TD

include "itq3/Dialect/ITQ3/IR/ITQ3Base.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

// The order matches itq3::format::FormatKind (checked by a static_assert).
def ITQ3_FormatKind : I32EnumAttr<"FormatKind", "packed weight format", [
    I32EnumAttrCase<"F16", 0, "f16">,
    I32EnumAttrCase<"Q8", 1, "q8">,
    I32EnumAttrCase<"Q4", 2, "q4">,
    I32EnumAttrCase<"Q3", 3, "q3">,
    I32EnumAttrCase<"Q3R", 4, "q3r">,
    I32EnumAttrCase<"IQ3", 5, "iq3">,
    I32EnumAttrCase<"ITQ3S", 6, "itq3_s">,
    I32EnumAttrCase<"PTQTP", 7, "ptqtp">,
    I32EnumAttrCase<"TWLA", 8, "twla">,
    I32EnumAttrCase<"ITQ3S64", 9, "itq3_s64">]> {
  let cppNamespace = "::mlir::itq3";
  let genSpecializedAttr = 0;
}

def ITQ3_Rotation : I32EnumAttr<"Rotation",
    "where the inverse rotation of a rotated weight format is applied", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Weight", 1, "weight">,
    I32EnumAttrCase<"Activation", 2, "activation">]> {
  let cppNamespace = "::mlir::itq3";
  let genSpecializedAttr = 0;
}

def ITQ3_RotationAttr : EnumAttr<ITQ3_Dialect, ITQ3_Rotation, "rotation"> {
  let summary = "Placement of the inverse rotation in a matmul";
  let description = [{
    `none` for formats without rotation. For rotated formats: `weight`
    decodes a tile and applies the inverse FWHT to the weights before the
    product (the activations stay in the weight domain); `activation` means
    the activations were already rotated (`itq3.fwht` with the same seed),
    so the product runs directly on the stored rotated values.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def ITQ3_FormatAttr : AttrDef<ITQ3_Dialect, "Format"> {
  let mnemonic = "format";
  let summary = "A weight format and its encoding options";
  let description = [{
    Names a codec of lib/Format (`f16`, `q8`, `q4`, `q3`, `q3r`, `iq3`,
    `itq3_s`, `ptqtp`, `twla`, `itq3_s64`) and, for rotated formats, the seed of the random sign
    diagonal (0 = plain FWHT). Example: `#itq3.format<itq3_s, seed = 7>`.
  }];
  let parameters = (ins
    EnumParameter<ITQ3_FormatKind>:$kind,
    DefaultValuedParameter<"uint64_t", "0">:$seed);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Weights per block along K.
    int64_t getBlockSize() const;
    /// Stored bytes per block.
    int64_t getBytesPerBlock() const;
    /// Whether stored blocks hold rotated values.
    bool isRotated() const;
    /// The FWHT size of a rotated format (256, or 64 for itq3_s64); 0 for
    /// unrotated formats.
    int64_t getRotationBlock() const;
    /// The `block(n)` attribute that itq3.fwht and itq3.quantize_act(_into)
    /// take for this format's rotation: null for FWHT-256, their default.
    ::mlir::IntegerAttr getRotationBlockAttr() const;

    /// Parses and prints the body shared with !itq3.packed:
    /// `kind (, seed = N)?`.
    static FormatAttr parseBody(::mlir::AsmParser &parser);
    void printBody(::mlir::AsmPrinter &printer) const;
  }];
}

#endif // ITQ3_ATTRS_TD
