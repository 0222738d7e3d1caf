//===- ITQ3Attrs.cpp - itq3 attributes ------------------------------------===//
#include "itq3/Dialect/ITQ3/IR/FormatBridge.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "itq3/Format/FWHT.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::itq3;

#include "itq3/Dialect/ITQ3/IR/ITQ3Enums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "itq3/Dialect/ITQ3/IR/ITQ3Attrs.cpp.inc"

void ITQ3Dialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "itq3/Dialect/ITQ3/IR/ITQ3Attrs.cpp.inc"
      >();
}

static std::unique_ptr<::itq3::format::Codec> codecOf(FormatKind kind) {
  return ::itq3::format::createCodec(toCodecKind(kind));
}

int64_t FormatAttr::getBlockSize() const {
  return codecOf(getKind())->blockSize();
}

int64_t FormatAttr::getBytesPerBlock() const {
  return codecOf(getKind())->bytesPerBlock();
}

bool FormatAttr::isRotated() const { return codecOf(getKind())->isRotated(); }
int64_t FormatAttr::getRotationBlock() const {
  return codecOf(getKind())->rotationBlock();
}
IntegerAttr FormatAttr::getRotationBlockAttr() const {
  int64_t block = getRotationBlock();
  if (block == 0 || block == ::itq3::format::kFwhtSize)
    return {};
  return IntegerAttr::get(IntegerType::get(getContext(), 64), block);
}

LogicalResult FormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 FormatKind kind, uint64_t seed) {
  if (seed != 0 && !codecOf(kind)->isRotated())
    return emitError() << "format '" << stringifyFormatKind(kind)
                       << "' has no rotation, so it takes no sign seed";
  return success();
}

FormatAttr FormatAttr::parseBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseKeyword(&name))
    return {};
  std::optional<FormatKind> kind = symbolizeFormatKind(name);
  if (!kind) {
    parser.emitError(loc, "unknown weight format '")
        << name << "'; expected " << formatNameList();
    return {};
  }
  uint64_t seed = 0;
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("seed") || parser.parseEqual() ||
       parser.parseInteger(seed)))
    return {};
  return parser.getChecked<FormatAttr>(loc, parser.getContext(), *kind, seed);
}

void FormatAttr::printBody(AsmPrinter &printer) const {
  printer << stringifyFormatKind(getKind());
  if (getSeed() != 0)
    printer << ", seed = " << getSeed();
}

Attribute FormatAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  FormatAttr format = parseBody(parser);
  if (!format || parser.parseGreater())
    return {};
  return format;
}

void FormatAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBody(printer);
  printer << ">";
}
