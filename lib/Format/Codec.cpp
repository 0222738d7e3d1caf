//===- Codec.cpp - Format names, shape checks and the codec factory -------===//

#include "itq3/Format/Codec.h"
#include "itq3/Format/GridCodec.h"

#include "PtqtpCodec.h"
#include "ScalarCodecs.h"
#include "TwlaCodec.h"

#include <sstream>

namespace itq3::format {

namespace {
struct NamedFormat {
  FormatKind kind;
  std::string_view name;
};
constexpr NamedFormat kFormats[] = {
    {FormatKind::F16, "f16"}, {FormatKind::Q8, "q8"},   {FormatKind::Q4, "q4"},
    {FormatKind::Q3, "q3"},   {FormatKind::Q3R, "q3r"}, {FormatKind::IQ3, "iq3"},
    {FormatKind::ITQ3S, "itq3_s"}, {FormatKind::PTQTP, "ptqtp"},
    {FormatKind::TWLA, "twla"}, {FormatKind::ITQ3S64, "itq3_s64"},
};
} // namespace

std::string_view formatName(FormatKind kind) {
  for (const NamedFormat &f : kFormats)
    if (f.kind == kind)
      return f.name;
  return "unknown";
}

std::optional<FormatKind> parseFormatName(std::string_view name) {
  for (const NamedFormat &f : kFormats)
    if (f.name == name)
      return f.kind;
  return std::nullopt;
}

const std::vector<FormatKind> &allFormats() {
  static const std::vector<FormatKind> kinds = [] {
    std::vector<FormatKind> out;
    for (const NamedFormat &f : kFormats)
      out.push_back(f.kind);
    return out;
  }();
  return kinds;
}

std::optional<FormatKind> narrowerFormat(FormatKind kind) {
  if (kind == FormatKind::ITQ3S)
    return FormatKind::ITQ3S64;
  return std::nullopt;
}

Status Codec::checkShape(int64_t rows, int64_t cols) const {
  std::ostringstream os;
  if (rows <= 0 || cols <= 0)
    os << "format " << name() << ": matrix shape " << rows << "x" << cols
       << " is empty or negative";
  else if (cols % blockSize() != 0)
    os << "format " << name() << " needs K (columns) to be a multiple of "
       << blockSize() << ", got " << cols << " (" << cols % blockSize()
       << " left over); choose a fallback format for this tensor";
  else
    return Status::success();
  return Status::error(os.str());
}

std::unique_ptr<Codec> createCodec(FormatKind kind, CodecOptions options) {
  if (kind == FormatKind::IQ3 || kind == FormatKind::ITQ3S ||
      kind == FormatKind::ITQ3S64)
    return createGridCodec(kind, options, {});
  if (kind == FormatKind::PTQTP)
    return detail::createPtqtpCodec(options);
  if (kind == FormatKind::TWLA)
    return detail::createTwlaCodec(options);
  return detail::createScalarCodec(kind, options);
}

} // namespace itq3::format
