//===- TokenizerIOTest.cpp - Tokenizer serialization round trip and abuse -===//

#include "TestVocab.h"
#include "itq3/Model/Tokenizer.h"

#include <cstring>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

Tokenizer sentencePieceTokenizer() {
  SpmVocab v;
  Tokenizer t;
  EXPECT_TRUE(Tokenizer::sentencePiece(v.pieces, v.scores, 1, 2,
                                       /*addSpacePrefix=*/true, t));
  t.setSpecial({1, 2});
  return t;
}

Tokenizer byteBPETokenizer() {
  BpeVocab v;
  // A duplicated merge keeps its first rank: the gap must survive.
  std::vector<std::string> merges = v.merges;
  merges.insert(merges.begin() + 2, "h e");
  Tokenizer t;
  EXPECT_TRUE(Tokenizer::byteBPE(v.pieces, merges, PreTokenizer::Qwen2,
                                 v.id("<|im_start|>"), 'd', t));
  t.setSpecial({v.id("<|im_start|>")});
  t.setAddBos(false);
  t.setNormalizer(Tokenizer::Normalizer::NFC);
  return t;
}

Tokenizer roundTrip(const Tokenizer &t) {
  std::vector<uint8_t> bytes = serializeTokenizer(t);
  Tokenizer back;
  Status s = deserializeTokenizer(bytes.data(), bytes.size(), back);
  EXPECT_TRUE(s) << s.message();
  return back;
}

void expectSameBehaviour(const Tokenizer &a, const Tokenizer &b) {
  EXPECT_EQ(a.kind(), b.kind());
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.bos(), b.bos());
  EXPECT_EQ(a.eos(), b.eos());
  EXPECT_EQ(a.addBos(), b.addBos());
  EXPECT_EQ(a.normalizer(), b.normalizer());
  for (int32_t id = 0; id < a.size(); ++id) {
    EXPECT_EQ(a.piece(id), b.piece(id));
    EXPECT_EQ(a.score(id), b.score(id));
  }
  for (const char *text :
       {"", "abc ab", "a  b 12", "hello world", "\xC3\xA9\xE2\x82\xAC x",
        "<|im_start|>hello<|im_start|> world", "\n<s>\nab\n</s>\nabc",
        "hello 123 4567 ab's"})
    for (bool bos : {false, true})
      for (bool special : {false, true}) {
        std::vector<int32_t> ids = a.encode(text, bos, special);
        EXPECT_EQ(ids, b.encode(text, bos, special)) << text;
        EXPECT_EQ(a.decode(ids), b.decode(ids)) << text;
        for (size_t i = 1; i < ids.size(); ++i)
          EXPECT_EQ(a.decode(ids[i - 1], ids[i]), b.decode(ids[i - 1], ids[i]));
      }
}

/// Offsets of the serialized fields, as the layout in TokenizerIO.cpp has
/// them: magic 8, version 4, five u8 flags, bos, eos, then the token count.
constexpr size_t kVersionAt = 8, kKindAt = 12, kPreAt = 13, kNormalizerAt = 16,
                 kBosAt = 17, kTokenCountAt = 25, kFirstPieceLengthAt = 29;

void put32(std::vector<uint8_t> &b, size_t at, uint32_t v) {
  std::memcpy(&b[at], &v, 4);
}

Status load(const std::vector<uint8_t> &b) {
  Tokenizer t;
  return deserializeTokenizer(b.data(), b.size(), t);
}

void expectRefused(const std::vector<uint8_t> &b, const std::string &says) {
  Status s = load(b);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find(says), std::string::npos) << s.message();
}

} // namespace

TEST(TokenizerIO, SentencePieceRoundTrip) {
  Tokenizer t = sentencePieceTokenizer();
  expectSameBehaviour(t, roundTrip(t));
  // Serializing what was deserialized gives the same bytes.
  EXPECT_EQ(serializeTokenizer(roundTrip(t)), serializeTokenizer(t));
}

TEST(TokenizerIO, ByteBPERoundTrip) {
  Tokenizer t = byteBPETokenizer();
  expectSameBehaviour(t, roundTrip(t));
  EXPECT_EQ(serializeTokenizer(roundTrip(t)), serializeTokenizer(t));
  // Special tokens survive: the marker is one token only when parsed.
  Tokenizer back = roundTrip(t);
  BpeVocab v;
  EXPECT_EQ(back.encode("<|im_start|>hello", false, true),
            (std::vector<int32_t>{v.id("<|im_start|>"), v.id("hello")}));
}

TEST(TokenizerIO, VersionOneHasNoNormalizer) {
  // Bundles written before the normalizer field still load, as they were
  // compiled: without NFC.
  std::vector<uint8_t> b = serializeTokenizer(byteBPETokenizer());
  b.erase(b.begin() + long(kNormalizerAt));
  put32(b, kVersionAt, 1);
  Tokenizer t;
  Status s = deserializeTokenizer(b.data(), b.size(), t);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(t.normalizer(), Tokenizer::Normalizer::None);
  EXPECT_EQ(t.size(), byteBPETokenizer().size());
}

TEST(TokenizerIO, EveryTruncationIsRefused) {
  for (const Tokenizer &t : {sentencePieceTokenizer(), byteBPETokenizer()}) {
    std::vector<uint8_t> bytes = serializeTokenizer(t);
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(n));
      Tokenizer out;
      EXPECT_FALSE(deserializeTokenizer(cut.data(), cut.size(), out))
          << "accepted " << n << " of " << bytes.size() << " bytes";
    }
    // A null pointer with no bytes is just the shortest truncation.
    Tokenizer out;
    EXPECT_FALSE(deserializeTokenizer(nullptr, 0, out));
  }
}

TEST(TokenizerIO, BadCountsAndLengthsAreRefused) {
  const std::vector<uint8_t> good = serializeTokenizer(byteBPETokenizer());
  ASSERT_TRUE(load(good));
  std::vector<uint8_t> b = good;
  put32(b, kTokenCountAt, 0xFFFFFFFFu);
  expectRefused(b, "exceeds the limit");
  b = good;
  put32(b, kTokenCountAt, 1u << 20); // plausible, but the bytes are not there
  expectRefused(b, "token count");
  b = good;
  put32(b, kFirstPieceLengthAt, 0x7FFFFFFFu);
  expectRefused(b, "truncated");
  b = good;
  put32(b, kFirstPieceLengthAt, 5); // every later field is misread
  EXPECT_FALSE(load(b));
  b = good;
  put32(b, kTokenCountAt, 100); // fewer tokens: the rest misparses
  EXPECT_FALSE(load(b));
  b = good;
  b.push_back(0);
  expectRefused(b, "unexpected bytes");
}

TEST(TokenizerIO, BadValuesAreRefused) {
  const std::vector<uint8_t> good = serializeTokenizer(byteBPETokenizer());
  std::vector<uint8_t> b = good;
  b[0] = 'X';
  expectRefused(b, "bad magic");
  b = good;
  put32(b, kVersionAt, 3);
  expectRefused(b, "version 3");
  b = good;
  b[kNormalizerAt] = 2;
  expectRefused(b, "normalizer is 2");
  b = good;
  b[kKindAt] = 7;
  expectRefused(b, "kind 7");
  b = good;
  b[kPreAt] = 9;
  expectRefused(b, "pre-tokenizer 9");
  b = good;
  b[kPreAt + 1] = 2;
  expectRefused(b, "not 0 or 1");
  b = good;
  put32(b, kBosAt, 1u << 30);
  expectRefused(b, "out of range");
  // The last field is the one special id.
  b = good;
  put32(b, b.size() - 4, 5000);
  expectRefused(b, "special-token id 5000");
  // Kind flipped to SentencePiece: no scores for its tokens.
  b = good;
  b[kKindAt] = 0;
  expectRefused(b, "scores");
}

TEST(TokenizerIO, AnyFlippedByteIsSafe) {
  // A flip inside a piece's text is a different but valid tokenizer; a flip
  // anywhere else must be refused. Either way nothing over-reads or aborts.
  for (const Tokenizer &t : {sentencePieceTokenizer(), byteBPETokenizer()}) {
    const std::vector<uint8_t> good = serializeTokenizer(t);
    size_t refused = 0;
    for (size_t i = 0; i < good.size(); ++i) {
      std::vector<uint8_t> b = good;
      b[i] ^= 0xFF;
      refused += load(b).ok() ? 0 : 1;
    }
    EXPECT_GT(refused, size_t(kFirstPieceLengthAt));
  }
}
