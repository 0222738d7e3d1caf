//===- UnicodeTest.cpp - Character classes and NFC -------------------------===//
//
// Expected values are Python's unicodedata.normalize("NFC", ...) and
// unicodedata.category(...) on the same code points.
//
//===----------------------------------------------------------------------===//

#include "Utf8.h"

#include <gtest/gtest.h>

using namespace itq3::model;

namespace {

std::string u8(std::initializer_list<uint32_t> cps) {
  std::string s;
  for (uint32_t cp : cps)
    utf8::append(s, cp);
  return s;
}

} // namespace

TEST(Unicode, CategoriesFromTheTables) {
  // Nd outside the blocks a hand list would have: mathematical digits,
  // Devanagari, full width; Nl and No.
  for (uint32_t cp : {0x30u, 0x1D7D8u, 0x966u, 0xFF11u, 0x2167u, 0xBDu, 0x2460u})
    EXPECT_TRUE(utf8::isNumber(cp)) << std::hex << cp;
  for (uint32_t cp : {0x41u, 0xAAu, 0x2B0u, 0x3005u, 0x939u, 0xE20u, 0xAC01u,
                      0x20000u})
    EXPECT_TRUE(utf8::isLetter(cp)) << std::hex << cp;
  // Marks, punctuation, symbols and emoji are neither.
  for (uint32_t cp : {0x301u, 0x93Fu, 0x94Du, 0x2014u, 0xD7u, 0x1F600u, 0x200Bu})
    EXPECT_FALSE(utf8::isLetter(cp) || utf8::isNumber(cp)) << std::hex << cp;
  EXPECT_TRUE(utf8::isNumber(0x3007)); // IDEOGRAPHIC NUMBER ZERO is Nl
}

TEST(Unicode, NfcComposesAndReorders) {
  EXPECT_EQ(utf8::nfc(u8({'e', 0x301})), u8({0xE9}));
  // Hangul jamo L V T compose arithmetically.
  EXPECT_EQ(utf8::nfc(u8({0x1100, 0x1161, 0x11A8})), u8({0xAC01}));
  // Marks are put in combining-class order (dot below 220 before acute 230)
  // and the first one composes with the base.
  EXPECT_EQ(utf8::nfc(u8({'a', 0x301, 0x323})), u8({0x1EA1, 0x301}));
  // A blocked mark (same class after another) stays apart.
  EXPECT_EQ(utf8::nfc(u8({'a', 0x308, 0x301, 0x308})),
            u8({0xE4, 0x301, 0x308}));
  // Singletons decompose for good: ANGSTROM SIGN is A with ring.
  EXPECT_EQ(utf8::nfc(u8({0x212B})), u8({0xC5}));
  // A composition exclusion: DEVANAGARI QA stays decomposed.
  EXPECT_EQ(utf8::nfc(u8({0x958})), u8({0x915, 0x93C}));
}

TEST(Unicode, NfcKeepsWhatIsAlreadyComposed) {
  for (const std::string &s :
       {std::string("plain ASCII, 123"), u8({0xE9, 0xFC, 0xAC01, 0x4E2D}),
        u8({0x1F600, 0x200D, 0x1F469}), std::string()})
    EXPECT_EQ(utf8::nfc(s), s);
  // Bytes that are not UTF-8 pass through, even next to a composing pair.
  std::string bad = "\xFF" + u8({'e', 0x301}) + "\xC3";
  EXPECT_EQ(utf8::nfc(bad), "\xFF" + u8({0xE9}) + "\xC3");
}
