//===- TokenizerTest.cpp - SentencePiece and byte-level BPE encoding ------===//
//
// The vocabularies are made here, small enough that every expected id list
// was derived by hand from the merge rule (noted next to each case).
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"
#include "itq3/Model/Tokenizer.h"

#include <cstdio>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

/// ids 0-2 <unk>, <s>, </s>; 3..258 byte pieces; then the pieces below.
struct SpmVocab {
  std::vector<std::string> pieces = {"<unk>", "\n<s>\n", "\n</s>\n"};
  std::vector<float> scores = {0, 0, 0};
  SpmVocab() {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      pieces.push_back(name);
      scores.push_back(0);
    }
    for (auto [p, s] : std::vector<std::pair<const char *, float>>{
             {" ", -10}, {"a", -10}, {"b", -10}, {"c", -10}, {"1", -10},
             {"2", -10}, {" a", -5}, {"ab", -1}, {" ab", -3}, {"abc", -2}}) {
      pieces.push_back(p);
      scores.push_back(s);
    }
  }
  int32_t id(const std::string &p) const {
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i] == p)
        return int32_t(i);
    return -1;
  }
  /// Written in llama2.c's tokenizer.bin layout.
  Bytes file() const {
    Bytes b;
    b.put<int32_t>(8);
    for (size_t i = 0; i < pieces.size(); ++i)
      b.put(scores[i]).put<int32_t>(int32_t(pieces[i].size())).raw(pieces[i]);
    return b;
  }
};

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

namespace {

/// Byte-level vocabulary: every byte's printable stand-in, then merges.
/// GPT-2 maps a space to U+0120 ("\xC4\xA0").
struct BpeVocab {
  std::vector<std::string> pieces;
  std::vector<std::string> merges = {"\xC4\xA0 w", "h e", "l l", "he ll",
                                     "hell o", "\xC4\xA0w o"};
  BpeVocab() {
    for (int b = 0; b < 256; ++b) {
      std::string s = byteChar(b);
      pieces.push_back(s);
    }
    for (const char *p : {"\xC4\xA0w", "he", "ll", "hell", "hello",
                          "\xC4\xA0wo", "<|im_start|>"})
      pieces.push_back(p);
  }
  /// The GPT-2 stand-in for a byte, as the published table defines it.
  static std::string byteChar(int b) {
    static std::vector<uint32_t> table = [] {
      std::vector<uint32_t> t(256);
      uint32_t next = 256;
      for (uint32_t x = 0; x < 256; ++x) {
        bool keep = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) ||
                    (x >= 174 && x <= 255);
        t[x] = keep ? x : next++;
      }
      return t;
    }();
    uint32_t cp = table[size_t(b)];
    std::string s;
    if (cp < 0x80) {
      s += char(cp);
    } else {
      s += char(0xC0 | (cp >> 6));
      s += char(0x80 | (cp & 0x3F));
    }
    return s;
  }
  int32_t id(const std::string &p) const {
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i] == p)
        return int32_t(i);
    return -1;
  }
};

} // namespace

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
