//===- PreTokenizeTest.cpp - The hand-written pre-tokenizer matchers ------===//
//
// Expected splits were obtained by running the published expressions with
// Python's `regex` module (re.findall) on the same strings; for SmolLM the
// text was first split around every digit, then the GPT-2 expression
// applied to each piece, which is what its tokenizer declares.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Tokenizer.h"

#include <gtest/gtest.h>

using namespace itq3::model;

static std::vector<std::string> split(const std::string &s, PreTokenizer k) {
  std::vector<std::string> out;
  for (std::string_view p : preTokenize(s, k))
    out.emplace_back(p);
  return out;
}

TEST(PreTokenize, GPT2ContractionsDigitsAndWhitespaceRuns) {
  std::vector<std::string> want = {"Hello", " world", "'s", " ",  " test", " 123",
                                   "abc",   "!!",     "\n", "\n", "x"};
  EXPECT_EQ(split("Hello world's  test 123abc!!\n\nx", PreTokenizer::GPT2), want);
}

TEST(PreTokenize, Llama3CaseInsensitiveContractionsAndDigitTriples) {
  std::vector<std::string> want = {"I",   "'m",  " ",    " HAPPY", "123",
                                   "456", " ok", "\n\n", " ",      " end"};
  EXPECT_EQ(split("I'm  HAPPY123456 ok\n\n  end", PreTokenizer::Llama3), want);
}

TEST(PreTokenize, Qwen2SingleDigitsUnicodeLettersAndEmoji) {
  std::vector<std::string> want = {"x",       "=",     "4",       "2",
                                   ";",       "\tcaf\xC3\xA9", " \xC3\xBC" "ber",
                                   " \xF0\x9F\x99\x82!"};
  EXPECT_EQ(split("x=42;\tcaf\xC3\xA9 \xC3\xBC" "ber \xF0\x9F\x99\x82!",
                  PreTokenizer::Qwen2),
            want);
}

TEST(PreTokenize, SmolLMIsolatesEveryDigit) {
  std::vector<std::string> want = {"abc", " ",   "2", "0", "2", "4",
                                   " is", " ",   "1", "2", "th"};
  EXPECT_EQ(split("abc 2024 is 12th", PreTokenizer::SmolLM), want);
}

TEST(PreTokenize, PiecesAlwaysCoverTheText) {
  // Malformed UTF-8 and lone punctuation must neither loop nor drop bytes.
  std::string text = "a\xFF\xC3 ''' \r\n\t 9";
  for (PreTokenizer k : {PreTokenizer::GPT2, PreTokenizer::Llama3,
                         PreTokenizer::Qwen2, PreTokenizer::SmolLM}) {
    std::string joined;
    for (const std::string &p : split(text, k))
      joined += p;
    EXPECT_EQ(joined, text);
  }
}

TEST(PreTokenize, KnownAndUnknownNames) {
  PreTokenizer k;
  EXPECT_TRUE(parsePreTokenizer("smollm", k));
  EXPECT_EQ(k, PreTokenizer::SmolLM);
  EXPECT_TRUE(parsePreTokenizer("llama-bpe", k));
  EXPECT_EQ(k, PreTokenizer::Llama3);
  EXPECT_FALSE(parsePreTokenizer("deepseek-coder", k));
}
