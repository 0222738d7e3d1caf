//===- FormatBridge.cpp - From IR formats to lib/Format codecs ------------===//
#include "itq3/Dialect/ITQ3/IR/FormatBridge.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::itq3;
namespace fmt = ::itq3::format;

// The TableGen enum mirrors lib/Format's so the conversion is a cast.
static_assert(static_cast<int>(FormatKind::F16) == int(fmt::FormatKind::F16) &&
                  static_cast<int>(FormatKind::Q8) == int(fmt::FormatKind::Q8) &&
                  static_cast<int>(FormatKind::Q4) == int(fmt::FormatKind::Q4) &&
                  static_cast<int>(FormatKind::Q3) == int(fmt::FormatKind::Q3) &&
                  static_cast<int>(FormatKind::Q3R) == int(fmt::FormatKind::Q3R) &&
                  static_cast<int>(FormatKind::IQ3) == int(fmt::FormatKind::IQ3) &&
                  static_cast<int>(FormatKind::ITQ3S) ==
                      int(fmt::FormatKind::ITQ3S) &&
                  static_cast<int>(FormatKind::PTQTP) ==
                      int(fmt::FormatKind::PTQTP) &&
                  static_cast<int>(FormatKind::TWLA) ==
                      int(fmt::FormatKind::TWLA) &&
                  static_cast<int>(FormatKind::ITQ3S64) ==
                      int(fmt::FormatKind::ITQ3S64),
              "itq3 FormatKind enum out of sync with lib/Format");

fmt::FormatKind mlir::itq3::toCodecKind(FormatKind kind) {
  return static_cast<fmt::FormatKind>(kind);
}

std::string mlir::itq3::formatNameList() {
  const std::vector<fmt::FormatKind> &kinds = fmt::allFormats();
  std::string list;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0)
      list += i + 1 == kinds.size() ? " or " : ", ";
    list += fmt::formatName(kinds[i]);
  }
  return list;
}

std::unique_ptr<fmt::Codec> mlir::itq3::createCodec(FormatAttr format) {
  return fmt::createCodec(toCodecKind(format.getKind()),
                          fmt::CodecOptions{format.getSeed()});
}

/// The raw bytes behind a dense_resource attribute, if its blob is loaded.
static std::optional<ArrayRef<char>> resourceData(ElementsAttr attr) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return std::nullopt;
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

std::optional<std::vector<float>> mlir::itq3::readFloats(ElementsAttr attr) {
  auto floatType = dyn_cast<FloatType>(attr.getElementType());
  if (!floatType)
    return std::nullopt;
  size_t count = attr.getNumElements();
  std::vector<float> values(count);
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    size_t i = 0;
    for (const APFloat &v : dense.getValues<APFloat>())
      values[i++] = static_cast<float>(v.convertToDouble());
    return values;
  }
  std::optional<ArrayRef<char>> data = resourceData(attr);
  unsigned width = floatType.getWidth();
  if (!data || data->size() != count * width / 8)
    return std::nullopt;
  if (floatType.isF32()) {
    std::memcpy(values.data(), data->data(), data->size());
    return values;
  }
  if (width != 16)
    return std::nullopt;
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, data->data() + 2 * i, 2);
    APFloat v(floatType.getFloatSemantics(), APInt(16, bits));
    values[i] = static_cast<float>(v.convertToDouble());
  }
  return values;
}

std::optional<std::vector<int8_t>> mlir::itq3::readBytes(ElementsAttr attr) {
  if (!attr.getElementType().isInteger(8))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    std::vector<int8_t> bytes;
    bytes.reserve(dense.getNumElements());
    for (int8_t v : dense.getValues<int8_t>())
      bytes.push_back(v);
    return bytes;
  }
  std::optional<ArrayRef<char>> data = resourceData(attr);
  if (!data || int64_t(data->size()) != attr.getNumElements())
    return std::nullopt;
  return std::vector<int8_t>(data->begin(), data->end());
}

ElementsAttr mlir::itq3::makeBytesAttr(RankedTensorType type,
                                       ArrayRef<int8_t> bytes) {
  return DenseResourceElementsAttr::get(
      type, "itq3_packed",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes));
}
