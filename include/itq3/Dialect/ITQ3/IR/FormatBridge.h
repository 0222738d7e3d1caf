//===- FormatBridge.h - From IR formats to lib/Format codecs ----*- C++ -*-===//
//
// The dialect names formats with #itq3.format; lib/Format implements them.
// These helpers translate between the two and move tensor data in and out of
// the codecs, for the folders and the passes.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_DIALECT_ITQ3_IR_FORMATBRIDGE_H
#define ITQ3_DIALECT_ITQ3_IR_FORMATBRIDGE_H

#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "itq3/Format/Codec.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::itq3 {

::itq3::format::FormatKind toCodecKind(FormatKind kind);
std::unique_ptr<::itq3::format::Codec> createCodec(FormatAttr format);
/// "f16, q8, ... or twla": the format names, for diagnostics.
std::string formatNameList();

/// The values of a float ElementsAttr (dense or dense_resource) as f32, or
/// nullopt if the attribute is not float-valued or its data is unavailable.
std::optional<std::vector<float>> readFloats(ElementsAttr attr);

/// The bytes of an i8 ElementsAttr (dense or dense_resource).
std::optional<std::vector<int8_t>> readBytes(ElementsAttr attr);

/// An i8 dense_resource attribute of `type` holding `bytes`.
ElementsAttr makeBytesAttr(RankedTensorType type, ArrayRef<int8_t> bytes);

} // namespace mlir::itq3

#endif // ITQ3_DIALECT_ITQ3_IR_FORMATBRIDGE_H
