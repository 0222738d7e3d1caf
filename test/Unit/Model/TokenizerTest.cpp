//===- TokenizerTest.cpp - SentencePiece and byte-level BPE encoding ------===//
//
// The vocabularies (TestVocab.h) are small enough that every expected id list
// was derived by hand from the merge rule (noted next to each case).
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"
#include "TestVocab.h"
#include "itq3/Model/Tokenizer.h"

#include <cstdio>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

Tokenizer loadSpm(const SpmVocab &v) {
  TempFile f("tok.bin", v.file().data);
  Tokenizer t;
  Status s = loadLlama2cTokenizer(f.path(), int64_t(v.pieces.size()), t);
  EXPECT_TRUE(s) << s.message();
  return t;
}

} // namespace

TEST(SentencePiece, MergesHighestScoreFirst) {
  SpmVocab v;
  Tokenizer t = loadSpm(v);
  // " abc": "ab" (-1) beats " a" (-5); then "abc" (-2) beats " ab" (-3);
  // " abc" is not a piece, so the result is " " + "abc".
  EXPECT_EQ(t.encode("abc", true),
            (std::vector<int32_t>{1, v.id(" "), v.id("abc")}));
  // " ab": "ab" first, then " ab" (" " + "ab") is a piece.
  EXPECT_EQ(t.encode("ab", false), (std::vector<int32_t>{v.id(" ab")}));
}

TEST(SentencePiece, DigitsAndWhitespaceRunsStaySeparate) {
  SpmVocab v;
  Tokenizer t = loadSpm(v);
  // " 12": no multi-character piece contains digits.
  EXPECT_EQ(t.encode("12", false),
            (std::vector<int32_t>{v.id(" "), v.id("1"), v.id("2")}));
  // " a  b": " a" merges; the two spaces and "b" have no merges.
  EXPECT_EQ(t.encode("a  b", false),
            (std::vector<int32_t>{v.id(" a"), v.id(" "), v.id(" "), v.id("b")}));
}

TEST(SentencePiece, UnknownCharactersFallBackToBytes) {
  SpmVocab v;
  Tokenizer t = loadSpm(v);
  // U+00E9 is not a piece: its UTF-8 bytes C3 A9 become <0xC3> <0xA9>.
  std::vector<int32_t> ids = t.encode("\xC3\xA9", false);
  EXPECT_EQ(ids, (std::vector<int32_t>{v.id(" "), 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t.decode(ids), " \xC3\xA9");
}

TEST(SentencePiece, DecodeDropsThePrefixSpaceAfterBos) {
  SpmVocab v;
  Tokenizer t = loadSpm(v);
  std::vector<int32_t> ids = t.encode("abc ab", true);
  EXPECT_EQ(t.decode(ids), "abc ab");
  EXPECT_EQ(t.decode(1, v.id(" a")), "a");
  EXPECT_EQ(t.decode(v.id("b"), v.id(" a")), " a");
}

TEST(SentencePiece, BadTokenizerFilesAreErrors) {
  SpmVocab v;
  Bytes b = v.file();
  b.data.resize(b.size() / 2);
  TempFile half("half.bin", b.data);
  Tokenizer t;
  Status s = loadLlama2cTokenizer(half.path(), int64_t(v.pieces.size()), t);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("half.bin"), std::string::npos);

  Bytes neg;
  neg.put<int32_t>(8).put<float>(0).put<int32_t>(-5).put<int32_t>(0);
  TempFile negFile("neg.bin", neg.data);
  s = loadLlama2cTokenizer(negFile.path(), 1, t);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("length -5"), std::string::npos) << s.message();

  // A vocabulary size far beyond what the file holds is refused up front.
  EXPECT_FALSE(loadLlama2cTokenizer(negFile.path(), int64_t(1) << 40, t));
}

TEST(ByteBPE, MergesByRank) {
  BpeVocab v;
  Tokenizer t;
  ASSERT_TRUE(Tokenizer::byteBPE(v.pieces, v.merges, PreTokenizer::GPT2, -1,
                                 -1, t));
  // "hello": he (rank 1), ll (2), hell (3), hello (4).
  // " world": Ġw (0), Ġwo (5); "r", "l", "d" stay single bytes.
  std::vector<int32_t> want = {v.id("hello"), v.id("\xC4\xA0wo"), 'r', 'l', 'd'};
  EXPECT_EQ(t.encode("hello world", false), want);
  EXPECT_EQ(t.decode(want), "hello world");
}

TEST(ByteBPE, UnicodeGoesThroughBytes) {
  BpeVocab v;
  Tokenizer t;
  ASSERT_TRUE(Tokenizer::byteBPE(v.pieces, v.merges, PreTokenizer::GPT2, -1,
                                 -1, t));
  std::vector<int32_t> ids = t.encode("\xC3\xA9\xE2\x82\xAC", false); // é€
  EXPECT_EQ(ids, (std::vector<int32_t>{0xC3, 0xA9, 0xE2, 0x82, 0xAC}));
  EXPECT_EQ(t.decode(ids), "\xC3\xA9\xE2\x82\xAC");
}

TEST(ByteBPE, NfcNormalizerComposesBeforeSplitting) {
  BpeVocab v;
  Tokenizer t;
  ASSERT_TRUE(Tokenizer::byteBPE(v.pieces, v.merges, PreTokenizer::Qwen2, -1,
                                 -1, t));
  const char *composed = "caf\xC3\xA9", *decomposed = "cafe\xCC\x81";
  EXPECT_NE(t.encode(decomposed, false), t.encode(composed, false));
  t.setNormalizer(Tokenizer::Normalizer::NFC);
  EXPECT_EQ(t.encode(decomposed, false), t.encode(composed, false));
  EXPECT_EQ(t.decode(t.encode(decomposed, false)), composed);
}

TEST(ByteBPE, SpecialTokensOnlyWhenAsked) {
  BpeVocab v;
  Tokenizer t;
  ASSERT_TRUE(Tokenizer::byteBPE(v.pieces, v.merges, PreTokenizer::GPT2, -1,
                                 -1, t));
  int32_t im = v.id("<|im_start|>");
  t.setSpecial({im});
  EXPECT_EQ(t.encode("<|im_start|>hello", false, true),
            (std::vector<int32_t>{im, v.id("hello")}));
  // Not parsed: the marker is ordinary text ("<", "|", "im", ...).
  std::vector<int32_t> plain = t.encode("<|im_start|>hello", false, false);
  EXPECT_EQ(plain.front(), '<');
  EXPECT_EQ(t.decode(plain), "<|im_start|>hello");
}

TEST(ByteBPE, MalformedMergeIsAnError) {
  BpeVocab v;
  Tokenizer t;
  Status s = Tokenizer::byteBPE(v.pieces, {"nospace"}, PreTokenizer::GPT2, -1,
                                -1, t);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("nospace"), std::string::npos);
}
