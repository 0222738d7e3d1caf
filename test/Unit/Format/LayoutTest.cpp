//===- LayoutTest.cpp - Byte layouts against slow bit-level references ----===//
//
// The GPU code generator decodes these bytes on its own, so each layout is
// checked against a reference written here from the documented bit
// positions only (a generic little-endian bit reader), on hand-built blocks
// that cover every grid index, every scale nibble and both signs.
//
//===----------------------------------------------------------------------===//

#include "itq3/Format/GridCodec.h"
#include "itq3/Format/Half.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace itq3::format;

namespace {

/// Bits [bit, bit+n) of a little-endian bit stream.
unsigned bits(const uint8_t *p, int bit, int n) {
  unsigned v = 0;
  for (int k = 0; k < n; ++k)
    v |= unsigned((p[(bit + k) / 8] >> ((bit + k) % 8)) & 1) << k;
  return v;
}

std::vector<uint8_t> randomBytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = uint8_t(splitmix64(seed + i) >> 56);
  return b;
}

void setScale(uint8_t *block, float d) { storeHalf(block, d); }

std::vector<float> referenceGridDecode(const uint8_t *b) {
  const std::vector<GridEntry> &grid = builtinGrid();
  float d = halfToFloat(uint16_t(bits(b, 0, 16)));
  std::vector<float> out(256);
  for (int i = 0; i < 256; ++i) {
    int g = i / 4;
    int index = int(bits(b, 8 * (2 + g), 8) | (bits(b, 8 * 66 + g, 1) << 8));
    int l = int(bits(b, 8 * 106 + 4 * (i / 32), 4));
    float v = d * float(2 * l + 1) * float(grid[size_t(index)][size_t(i % 4)]);
    out[size_t(i)] = bits(b, 8 * 74 + i, 1) ? -v : v;
  }
  return out;
}

/// 8 blocks: block k, group g gets index 64 k + g; sub-block s of block k
/// gets l = (8 k + s) % 16. Signs random.
std::vector<uint8_t> everyIndexBlocks() {
  std::vector<uint8_t> data = randomBytes(8 * 110, 99);
  for (int k = 0; k < 8; ++k) {
    uint8_t *b = &data[size_t(k) * 110];
    setScale(b, 0.0123f);
    for (int g = 0; g < 64; ++g) {
      int index = 64 * k + g;
      b[2 + g] = uint8_t(index & 0xff);
      b[66 + g / 8] = uint8_t((b[66 + g / 8] & ~(1 << (g % 8))) |
                              ((index >> 8) << (g % 8)));
    }
    for (int s = 0; s < 8; ++s) {
      int l = (8 * k + s) % 16, shift = 4 * (s % 2);
      b[106 + s / 2] = uint8_t((b[106 + s / 2] & ~(0xf << shift)) | (l << shift));
    }
  }
  return data;
}

} // namespace

TEST(Layout, GridBlockDecodesEveryIndexAndNibbleLikeTheReference) {
  std::vector<uint8_t> data = everyIndexBlocks();
  std::unique_ptr<Codec> iq3 = createCodec(FormatKind::IQ3);
  std::vector<float> decoded(8 * 256);
  ASSERT_TRUE(iq3->decodeRows(data.data(), 1, 8 * 256, decoded.data()).ok());
  for (int k = 0; k < 8; ++k) {
    std::vector<float> ref = referenceGridDecode(&data[size_t(k) * 110]);
    for (int i = 0; i < 256; ++i)
      ASSERT_EQ(decoded[size_t(k * 256 + i)], ref[size_t(i)]) << k << " " << i;
    for (int g = 0; g < 64; ++g)
      EXPECT_EQ(gridBlockIndex(&data[size_t(k) * 110], g), 64 * k + g);
  }
}

TEST(Layout, Itq3sDecodeIsReferenceThenInverseRotation) {
  std::vector<uint8_t> data = everyIndexBlocks();
  for (uint64_t seed : {0ull, 5ull}) {
    std::unique_ptr<Codec> codec = createCodec(FormatKind::ITQ3S, {seed});
    std::vector<float> decoded(8 * 256);
    ASSERT_TRUE(codec->decodeRows(data.data(), 2, 4 * 256, decoded.data()).ok());
    for (int k = 0; k < 8; ++k) {
      std::vector<float> ref = referenceGridDecode(&data[size_t(k) * 110]);
      // Row 1 starts at block 4: its columns restart at 0 for the signs.
      unrotateBlock(ref.data(), seed, (k % 4) * 256);
      for (int i = 0; i < 256; ++i)
        ASSERT_NEAR(decoded[size_t(k * 256 + i)], ref[size_t(i)], 1e-6);
    }
  }
}

TEST(Layout, ScalarBlocksDecodeLikeTheReference) {
  std::vector<uint8_t> data = randomBytes(34 * 8, 7);
  for (int k = 0; k < 8; ++k)
    setScale(&data[size_t(k) * 34], 0.5f + float(k));
  struct Case {
    FormatKind kind;
    int bytes;
    float (*value)(const uint8_t *block, int j);
  };
  const Case cases[] = {
      {FormatKind::Q8, 34,
       [](const uint8_t *b, int j) {
         return loadHalf(b) * float(int8_t(uint8_t(bits(b, 16 + 8 * j, 8))));
       }},
      {FormatKind::Q4, 18,
       [](const uint8_t *b, int j) {
         int bit = 16 + (j < 16 ? 8 * j : 8 * (j - 16) + 4);
         return loadHalf(b) * float(int(bits(b, bit, 4)) - 8);
       }},
      {FormatKind::Q3, 14,
       [](const uint8_t *b, int j) {
         return loadHalf(b) * float(2 * int(bits(b, 16 + 3 * j, 3)) - 7);
       }},
  };
  for (const Case &c : cases) {
    std::vector<uint8_t> blocks;
    for (int k = 0; k < 8; ++k) // the scale set above, then random codes
      blocks.insert(blocks.end(), data.begin() + k * 34,
                    data.begin() + k * 34 + c.bytes);
    std::vector<float> decoded(8 * 32);
    ASSERT_TRUE(createCodec(c.kind)->decodeRows(blocks.data(), 1, 256,
                                                decoded.data()).ok());
    for (int k = 0; k < 8; ++k)
      for (int j = 0; j < 32; ++j)
        ASSERT_EQ(decoded[size_t(32 * k + j)], c.value(&blocks[size_t(k * c.bytes)], j))
            << formatName(c.kind) << " block " << k << " weight " << j;
  }
}

TEST(Layout, Q3rIsEightQ3BlocksOfTheRotatedRow) {
  std::vector<float> w = test::gaussian(512, 11);
  std::unique_ptr<Codec> q3 = createCodec(FormatKind::Q3);
  std::unique_ptr<Codec> q3r = createCodec(FormatKind::Q3R, {9});
  std::vector<float> r = w;
  rotateRow(r.data(), 512, 9);
  std::vector<uint8_t> a(size_t(q3->matrixBytes(1, 512))), b(a.size());
  ASSERT_EQ(a.size(), size_t(q3r->matrixBytes(1, 512)));
  ASSERT_TRUE(q3->encodeRows(r.data(), 1, 512, a.data()).ok());
  ASSERT_TRUE(q3r->encodeRows(w.data(), 1, 512, b.data()).ok());
  EXPECT_EQ(a, b);
}

TEST(Layout, F16IsLittleEndianHalf) {
  float w[2] = {1.0f, -2.0f};
  uint8_t out[4];
  ASSERT_TRUE(createCodec(FormatKind::F16)->encodeRows(w, 1, 2, out).ok());
  EXPECT_EQ(out[0], 0x00);
  EXPECT_EQ(out[1], 0x3c);
  EXPECT_EQ(out[2], 0x00);
  EXPECT_EQ(out[3], 0xc0);
}
