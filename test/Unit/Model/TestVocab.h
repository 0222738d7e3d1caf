//===- TestVocab.h - Small hand-made tokenizer vocabularies --------------===//
//
// Small enough that every expected id list in the tests was derived by hand
// from the merge rule.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TEST_UNIT_MODEL_TESTVOCAB_H
#define ITQ3_TEST_UNIT_MODEL_TESTVOCAB_H

#include "TestUtil.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace itq3::model::test {

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

} // namespace itq3::model::test

#endif // ITQ3_TEST_UNIT_MODEL_TESTVOCAB_H
