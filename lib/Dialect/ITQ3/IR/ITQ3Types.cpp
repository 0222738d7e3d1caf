//===- ITQ3Types.cpp - itq3 types -----------------------------------------===//
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::itq3;

#define GET_TYPEDEF_CLASSES
#include "itq3/Dialect/ITQ3/IR/ITQ3Types.cpp.inc"

void ITQ3Dialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "itq3/Dialect/ITQ3/IR/ITQ3Types.cpp.inc"
      >();
}

int64_t PackedWeightType::getRowBytes() const {
  return getCols() / getFormat().getBlockSize() *
         getFormat().getBytesPerBlock();
}

RankedTensorType PackedWeightType::getStorageType() const {
  return RankedTensorType::get({getRows(), getRowBytes()},
                               IntegerType::get(getContext(), 8));
}

LogicalResult
PackedWeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                         ArrayRef<int64_t> shape, FormatAttr format) {
  if (shape.size() != 2)
    return emitError() << "packed weight must be 2-D [N, K], got rank "
                       << shape.size();
  if (shape[0] <= 0 || shape[1] <= 0)
    return emitError() << "packed weight dimensions must be positive, got "
                       << shape[0] << "x" << shape[1];
  int64_t block = format.getBlockSize();
  if (shape[1] % block != 0)
    return emitError() << "K = " << shape[1] << " is not a multiple of the "
                       << stringifyFormatKind(format.getKind())
                       << " block size " << block;
  return success();
}

// !itq3.packed<NxK, format (, seed = S)?>
Type PackedWeightType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t, 2> shape;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseComma())
    return {};
  FormatAttr format = FormatAttr::parseBody(parser);
  if (!format || parser.parseGreater())
    return {};
  return parser.getChecked<PackedWeightType>(loc, parser.getContext(), shape,
                                             format);
}

void PackedWeightType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleave(getShape(), printer, "x");
  printer << ", ";
  getFormat().printBody(printer);
  printer << ">";
}
