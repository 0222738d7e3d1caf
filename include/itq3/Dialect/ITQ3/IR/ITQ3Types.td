//===- ITQ3Types.td - itq3 types ---------------------------*- tablegen -*-===//
#ifndef ITQ3_TYPES_TD
#define ITQ3_TYPES_TD

include "itq3/Dialect/ITQ3/IR/ITQ3Attrs.td"

def ITQ3_PackedWeightType : TypeDef<ITQ3_Dialect, "PackedWeight"> {
  let mnemonic = "packed";
  let summary = "A weight matrix [N, K] stored in a packed block format";
  let description = [{
    The logical shape is [N, K] with N outputs and K inputs; each row is
    K / blockSize blocks of the format's container. Both dimensions are
    static and K must be a multiple of the format's block size. Example:
    `!itq3.packed<4096x4096, itq3_s>`, `!itq3.packed<64x256, q3r, seed = 3>`.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "FormatAttr":$format);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRows() const { return getShape()[0]; }
    int64_t getCols() const { return getShape()[1]; }
    /// Bytes of one stored row and of the whole matrix.
    int64_t getRowBytes() const;
    int64_t getStorageBytes() const { return getRows() * getRowBytes(); }
    /// The i8 tensor type [N, rowBytes] that holds the stored bytes.
    ::mlir::RankedTensorType getStorageType() const;
  }];
}

#endif // ITQ3_TYPES_TD
