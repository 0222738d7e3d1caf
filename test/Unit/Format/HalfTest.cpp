//===- HalfTest.cpp - fp16 conversion against an independent reference ----===//

#include "itq3/Format/FWHT.h"
#include "itq3/Format/Half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace itq3::format;

namespace {

/// Nearest half computed in double with the ordinary rounding mode (ties to
/// even): the spacing is 2^-24 below 2^-14 and 2^(e-10) in binade e.
double referenceHalf(float f) {
  double a = std::fabs(double(f));
  double spacing = 0x1p-24;
  if (a >= 0x1p-14) {
    int e;
    std::frexp(a, &e); // a = m 2^e, m in [0.5, 1)
    spacing = std::ldexp(1.0, e - 1 - 10);
  }
  double r = std::nearbyint(a / spacing) * spacing;
  if (r > 65504.0)
    r = std::numeric_limits<double>::infinity();
  return std::signbit(f) ? -r : r;
}

} // namespace

TEST(Half, EveryHalfRoundTripsExactly) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = halfToFloat(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(f)))) << h;
      continue;
    }
    ASSERT_EQ(floatToHalf(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Half, RoundingMatchesDoubleReference) {
  uint64_t state = 42;
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns around the half range: exponents 2^-30 .. 2^17.
    uint64_t r = splitmix64(state++);
    uint32_t exponent = 97 + uint32_t(r % 48);
    uint32_t bits = uint32_t((r >> 8) & 0x7fffff) | (exponent << 23) |
                    (uint32_t(r >> 40) & 0x80000000u);
    float f = bitsToFloat(bits);
    ASSERT_EQ(double(roundToHalf(f)), referenceHalf(f)) << f;
  }
}

TEST(Half, SpecialValuesAndBoundaries) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToHalf(inf), 0x7c00);
  EXPECT_EQ(floatToHalf(-inf), 0xfc00);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(std::nanf("")))));
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(roundToHalf(65504.0f), 65504.0f);
  EXPECT_EQ(roundToHalf(65519.0f), 65504.0f); // below the midpoint to 2^16
  EXPECT_TRUE(std::isinf(roundToHalf(65520.0f)));
  EXPECT_EQ(roundToHalf(0x1p-25f), 0.0f);     // tie with zero: to even
  EXPECT_EQ(roundToHalf(0x1.0002p-25f), 0x1p-24f);
  EXPECT_EQ(roundToHalf(0x1p-14f), 0x1p-14f); // smallest normal
  EXPECT_EQ(roundToHalf(0x1.ffcp-15f), 0x1p-14f); // tie above the largest subnormal: carries
  EXPECT_EQ(halfToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(roundToHalf(1e-30f), 0.0f);
}

TEST(Half, LittleEndianStorage) {
  uint8_t b[2];
  storeHalf(b, 1.0f); // 0x3c00
  EXPECT_EQ(b[0], 0x00);
  EXPECT_EQ(b[1], 0x3c);
  EXPECT_EQ(loadHalf(b), 1.0f);
}
