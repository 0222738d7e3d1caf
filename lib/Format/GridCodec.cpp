//===- GridCodec.cpp - iq3 and itq3_s on top of the grid block coder ------===//

#include "itq3/Format/GridCodec.h"

#include "BlockCodec.h"

#include "itq3/Format/Half.h"

namespace itq3::format {

namespace {

class GridCodec final : public detail::BlockCodec {
public:
  GridCodec(FormatKind kind, CodecOptions options, GridCodecConfig config)
      : BlockCodec(options), kind_(kind), weighting_(config.weighting),
        owned_(std::move(config.tables)),
        tables_(owned_ ? *owned_ : GridTables::builtin()) {}

  FormatKind kind() const override { return kind_; }
  int64_t blockSize() const override { return kGridBlockWeights; }
  int64_t bytesPerBlock() const override { return kGridBlockBytes; }
  bool isRotated() const override { return kind_ == FormatKind::ITQ3S; }

private:
  void encodeBlock(const float *v, const float *imp, uint8_t *dst) const override {
    encodeGridBlock(v, imp, tables_, weighting_, dst);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    decodeGridBlock(src, tables_, dst);
  }
  // Largest sub-scale 31 d with d <= kHalfMax, largest level 15.
  float maxMagnitude() const override { return kHalfMax * 31.0f * 15.0f; }

  FormatKind kind_;
  GridWeighting weighting_;
  std::shared_ptr<const GridTables> owned_;
  const GridTables &tables_;
};

} // namespace

std::unique_ptr<Codec> createGridCodec(FormatKind kind, CodecOptions options,
                                       GridCodecConfig config) {
  if (kind != FormatKind::IQ3 && kind != FormatKind::ITQ3S)
    return nullptr;
  return std::make_unique<GridCodec>(kind, options, std::move(config));
}

} // namespace itq3::format
