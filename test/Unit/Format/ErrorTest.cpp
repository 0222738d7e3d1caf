//===- ErrorTest.cpp - Bad inputs give clear errors, never garbage --------===//

#include "itq3/Format/Codec.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace itq3::format;
using test::gaussian;

namespace {

Status encode(FormatKind kind, std::vector<float> &w, int64_t rows, int64_t cols,
              EncodeOptions eo = {}) {
  std::unique_ptr<Codec> c = createCodec(kind);
  std::vector<uint8_t> out(size_t(c->matrixBytes(rows, cols)));
  return c->encodeRows(w.data(), rows, cols, out.data(), eo);
}

bool contains(const Status &s, const std::string &text) {
  return s.message().find(text) != std::string::npos;
}

} // namespace

TEST(Errors, NaNAndInfAreReportedWithRowAndColumn) {
  for (FormatKind kind : allFormats()) {
    std::vector<float> w = gaussian(6 * 512, 1);
    w[3 * 512 + 17] = std::numeric_limits<float>::quiet_NaN();
    w[5 * 512 + 2] = std::numeric_limits<float>::infinity(); // a later row
    EncodeOptions eo;
    eo.threads = 3; // the error of the lowest row wins whatever the split
    Status s = encode(kind, w, 6, 512, eo);
    ASSERT_FALSE(s.ok()) << formatName(kind);
    EXPECT_TRUE(contains(s, "NaN")) << s.message();
    EXPECT_TRUE(contains(s, "row 3, column 17")) << s.message();

    w[3 * 512 + 17] = 0.0f;
    w[5 * 512 + 2] = -std::numeric_limits<float>::infinity();
    s = encode(kind, w, 6, 512, eo);
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(contains(s, "Inf") && contains(s, "row 5, column 2")) << s.message();
  }
}

TEST(Errors, MagnitudesBeyondTheFp16ScaleAreRefused) {
  // 1e30 cannot be represented by any fp16-scaled block: refusing it (and
  // naming where it is) beats decoding a silently clipped weight.
  for (FormatKind kind : allFormats()) {
    std::vector<float> w = gaussian(2 * 256, 2);
    w[256 + 40] = 1e30f;
    Status s = encode(kind, w, 2, 256);
    ASSERT_FALSE(s.ok()) << formatName(kind);
    EXPECT_TRUE(contains(s, "out of range")) << s.message();
    EXPECT_TRUE(contains(s, "row 1")) << s.message();
  }
}

TEST(Errors, LimitIsTheLargestRepresentableValue) {
  // q8 holds up to 65504 * 127 with its fp16 scale: just below is accurate,
  // the rotated formats see the rotated value (a spike spreads by 1/16).
  std::vector<float> w(256, 0.0f);
  w[7] = 8.0e6f;
  std::unique_ptr<Codec> q8 = createCodec(FormatKind::Q8);
  auto rt = test::roundTrip(*q8, w, 1, 256);
  ASSERT_TRUE(rt.status.ok()) << rt.status.message();
  EXPECT_NEAR(rt.decoded[7], 8.0e6f, 8.0e6f * 0.005f);
  w[7] = 9.0e6f;
  EXPECT_FALSE(test::roundTrip(*q8, w, 1, 256).status.ok());
  w[7] = 9.0e6f; // rotated: 9e6 / 16 per coefficient, well inside q3r's range
  EXPECT_TRUE(test::roundTrip(*createCodec(FormatKind::ITQ3S), w, 1, 256).status.ok());
}

TEST(Errors, BadImportanceIsRefused) {
  std::vector<float> w = gaussian(256, 3);
  std::vector<float> importance(256, 1.0f);
  importance[9] = -1.0f;
  EncodeOptions eo;
  eo.importance = importance.data();
  Status s = encode(FormatKind::ITQ3S, w, 1, 256, eo);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s, "column 9")) << s.message();
  importance[9] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(encode(FormatKind::Q4, w, 1, 256, eo).ok());
}

TEST(Errors, DecodeRefusesBadShapes) {
  std::vector<uint8_t> bytes(220);
  std::vector<float> out(512);
  std::unique_ptr<Codec> c = createCodec(FormatKind::ITQ3S);
  EXPECT_FALSE(c->decodeRows(bytes.data(), 1, 300, out.data()).ok());
  EXPECT_FALSE(c->decodeRows(bytes.data(), 0, 256, out.data()).ok());
  EXPECT_TRUE(c->decodeRows(bytes.data(), 2, 256, out.data()).ok());
}

// A sub-block whose largest magnitude is a float denormal must not turn the
// trial scale into infinity (0 * inf = NaN used to become a grid cell index
// and crash). It is coded like a zero sub-block: the smallest level, which is
// not exactly zero in the grid and q3 containers (their levels are odd):
// about 1/465 of the block's largest level in the grid.
TEST(Errors, DenormalSubBlockNextToNormalOnesIsNearZero) {
  for (FormatKind kind : {FormatKind::IQ3, FormatKind::Q3, FormatKind::Q4}) {
    auto codec = createCodec(kind);
    std::vector<float> row = gaussian(256, 11);
    for (int i = 0; i < 32; ++i)
      row[i] = 0.0f;
    row[5] = 1e-39f; // denormal, the only non-zero value of sub-block 0
    std::vector<uint8_t> packed(codec->matrixBytes(1, 256));
    ASSERT_TRUE(codec->encodeRows(row.data(), 1, 256, packed.data()).ok())
        << formatName(kind);
    std::vector<float> decoded(256);
    ASSERT_TRUE(codec->decodeRows(packed.data(), 1, 256, decoded.data()).ok());
    float rowMax = 0;
    for (float v : row)
      rowMax = std::max(rowMax, std::fabs(v));
    for (int i = 0; i < 32; ++i)
      EXPECT_LE(std::fabs(decoded[i]), 1e-2f * rowMax)
          << formatName(kind) << " column " << i;
    for (int i = 32; i < 256; ++i)
      EXPECT_TRUE(std::isfinite(decoded[i]));
  }
}
