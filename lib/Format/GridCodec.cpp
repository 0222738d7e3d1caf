//===- GridCodec.cpp - iq3, itq3_s, itq3_s64 on the grid block coder ------===//

#include "itq3/Format/GridCodec.h"

#include "BlockCodec.h"
#include "GridBlock.h"
#include "GridSnapper.h"

#include "itq3/Format/Half.h"

#include <algorithm>
#include <cmath>

namespace itq3::format {

namespace {

class GridCodec final : public detail::BlockCodec {
public:
  GridCodec(FormatKind kind, CodecOptions options, GridCodecConfig config)
      : BlockCodec(options), kind_(kind),
        layout_{kind == FormatKind::ITQ3S64 ? 64 : kGridBlockWeights},
        weighting_(config.weighting), owned_(std::move(config.tables)),
        tables_(owned_ ? *owned_ : GridTables::builtin()) {}

  FormatKind kind() const override { return kind_; }
  int64_t blockSize() const override { return layout_.weights; }
  int64_t bytesPerBlock() const override { return layout_.bytes(); }
  int64_t rotationBlock() const override {
    return kind_ == FormatKind::IQ3 ? 0 : layout_.weights;
  }

private:
  void encodeBlock(const float *v, const float *imp, uint8_t *dst) const override {
    encodeGridBlock(v, imp, tables_, weighting_, dst, layout_);
  }
  void decodeBlock(const uint8_t *src, float *dst) const override {
    decodeGridBlock(src, tables_, dst, layout_);
  }
  // Largest sub-scale 31 d with d <= kHalfMax, largest level 15.
  float maxMagnitude() const override { return kHalfMax * 31.0f * 15.0f; }

  int snapWidth() const override { return 4; }
  void fitScales(const float *v, const float *imp,
                 detail::BlockCode &code) const override {
    // The round-to-nearest encoder's search picks d and every l; its
    // indices are recomputed by snap().
    uint8_t block[kGridBlockBytes];
    encodeGridBlock(v, imp, tables_, weighting_, block, layout_);
    code.d = gridBlockScale(block);
    for (int s = 0; s < layout_.subBlocks(); ++s) {
      code.sub[s] = gridBlockSubScale(block, s, layout_);
      code.scale[s] = code.d * float(2 * code.sub[s] + 1);
    }
  }
  void snap(const float *v, const float *w, int64_t j, detail::BlockCode &code,
            float *q) const override {
    float scale = code.scale[j / 32];
    int group = int(j / 4);
    for (int i = 0; i < 4; ++i)
      code.negative[j + i] = v[i] < 0;
    if (!(scale > 0)) { // d stored as 0: every value decodes to 0
      code.code[group] = tables_.smallestIndex();
      std::fill(q, q + 4, 0.0f);
      return;
    }
    float y[4], inv = 1.0f / scale; // as the round-to-nearest snap computes it
    for (int i = 0; i < 4; ++i)
      y[i] = std::fabs(v[i]) * inv;
    detail::GridSnapper snapper(tables_);
    int index = snapper.snap(y, w);
    code.code[group] = index;
    const float *g = tables_.levels(index);
    for (int i = 0; i < 4; ++i)
      q[i] = code.negative[j + i] ? -scale * g[i] : scale * g[i];
  }
  void pack(const detail::BlockCode &code, uint8_t *dst) const override {
    detail::writeGridBlock(dst, code.d, code.sub, code.code, code.negative,
                           layout_);
  }

  FormatKind kind_;
  GridLayout layout_;
  GridWeighting weighting_;
  std::shared_ptr<const GridTables> owned_;
  const GridTables &tables_;
};

} // namespace

std::unique_ptr<Codec> createGridCodec(FormatKind kind, CodecOptions options,
                                       GridCodecConfig config) {
  if (kind != FormatKind::IQ3 && kind != FormatKind::ITQ3S &&
      kind != FormatKind::ITQ3S64)
    return nullptr;
  return std::make_unique<GridCodec>(kind, options, std::move(config));
}

} // namespace itq3::format
