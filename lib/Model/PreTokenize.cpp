//===- PreTokenize.cpp - The pre-tokenizer expressions, by hand -----------===//
//
// Byte-level BPE models split text with a regular expression before merging.
// We implement the few expressions our models declare as hand-written
// matchers (no regex engine with Unicode classes is available to a plain C++
// build). Each matcher tries the alternatives of its expression in order at
// the current position, like a backtracking regex engine would, and returns
// the match length.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Tokenizer.h"
#include "Utf8.h"

namespace itq3::model {

namespace {

enum class Cls { Letter, Number, Space, Other };

struct Cursor {
  std::string_view s;
  uint32_t cpAt(size_t i, size_t &len) const { return utf8::decode(s, i, len); }
  Cls cls(size_t i) const {
    size_t len;
    uint32_t cp = cpAt(i, len);
    return utf8::isLetter(cp)   ? Cls::Letter
           : utf8::isNumber(cp) ? Cls::Number
           : utf8::isSpace(cp)  ? Cls::Space
                                : Cls::Other;
  }
  size_t next(size_t i) const { return i + utf8::seqLength(s, i); }
  /// End of the run of characters of class c starting at i (at most max).
  size_t run(size_t i, Cls c, size_t max = SIZE_MAX) const {
    size_t n = 0;
    while (i < s.size() && n < max && cls(i) == c) {
      i = next(i);
      ++n;
    }
    return i;
  }
  bool isNewline(size_t i) const {
    return i < s.size() && (s[i] == '\r' || s[i] == '\n');
  }
};

/// 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive.
size_t contraction(const Cursor &c, size_t i, bool anyCase) {
  if (c.s[i] != '\'' || i + 1 >= c.s.size())
    return 0;
  auto lower = [&](size_t k) {
    char ch = k < c.s.size() ? c.s[k] : 0;
    return anyCase && ch >= 'A' && ch <= 'Z' ? char(ch + 32) : ch;
  };
  char a = lower(i + 1), b = lower(i + 2);
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/// \s+(?!\S) then \s+: a whitespace run leaves its last character to the
/// next token when a non-space follows (so " world" keeps its space).
size_t whitespace(const Cursor &c, size_t i) {
  size_t end = c.run(i, Cls::Space);
  if (end == i)
    return 0;
  if (end == c.s.size())
    return end - i;
  size_t lastStart = i, k = i;
  while (k < end) {
    lastStart = k;
    k = c.next(k);
  }
  return lastStart > i ? lastStart - i : end - i;
}

/// 's|... | ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t matchGPT2(const Cursor &c, size_t i) {
  if (size_t n = contraction(c, i, false))
    return n;
  size_t j = c.s[i] == ' ' && i + 1 < c.s.size() ? i + 1 : i;
  Cls k = c.cls(j);
  if (k != Cls::Space)
    return c.run(j, k) - i;
  return whitespace(c, i);
}

/// (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}
/// | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t matchLlama3(const Cursor &c, size_t i, size_t maxDigits) {
  if (size_t n = contraction(c, i, true))
    return n;
  Cls k = c.cls(i);
  if (k == Cls::Letter)
    return c.run(i, Cls::Letter) - i;
  if (!c.isNewline(i) && k != Cls::Number) {
    size_t j = c.next(i);
    if (j < c.s.size() && c.cls(j) == Cls::Letter)
      return c.run(j, Cls::Letter) - i;
  }
  if (k == Cls::Number)
    return c.run(i, Cls::Number, maxDigits) - i;
  size_t j = c.s[i] == ' ' && i + 1 < c.s.size() ? i + 1 : i;
  if (c.cls(j) == Cls::Other) {
    size_t end = c.run(j, Cls::Other);
    while (c.isNewline(end))
      ++end;
    return end - i;
  }
  // \s*[\r\n]+: the whitespace run up to its last newline.
  size_t end = c.run(i, Cls::Space), lastNl = SIZE_MAX;
  for (size_t p = i; p < end; p = c.next(p))
    if (c.isNewline(p))
      lastNl = p;
  if (lastNl != SIZE_MAX)
    return lastNl + 1 - i;
  return whitespace(c, i);
}

void split(std::string_view text, PreTokenizer kind,
           std::vector<std::string_view> &out) {
  Cursor c{text};
  for (size_t i = 0; i < text.size();) {
    size_t n = kind == PreTokenizer::Llama3  ? matchLlama3(c, i, 3)
               : kind == PreTokenizer::Qwen2 ? matchLlama3(c, i, 1)
                                             : matchGPT2(c, i);
    if (n == 0) // cannot happen for these expressions; never loop forever
      n = c.next(i) - i;
    out.push_back(text.substr(i, n));
    i += n;
  }
}

} // namespace

bool parsePreTokenizer(std::string_view name, PreTokenizer &out) {
  if (name == "gpt2" || name == "default" || name.empty())
    out = PreTokenizer::GPT2;
  else if (name == "llama-bpe" || name == "llama3")
    out = PreTokenizer::Llama3;
  else if (name == "qwen2")
    out = PreTokenizer::Qwen2;
  else if (name == "smollm")
    out = PreTokenizer::SmolLM;
  else
    return false;
  return true;
}

std::vector<std::string_view> preTokenize(std::string_view text,
                                          PreTokenizer kind) {
  std::vector<std::string_view> out;
  if (kind != PreTokenizer::SmolLM) {
    split(text, kind, out);
    return out;
  }
  // SmolLM isolates every digit first, then applies the GPT-2 expression to
  // the stretches between digits.
  Cursor c{text};
  size_t start = 0;
  for (size_t i = 0; i < text.size(); i = c.next(i)) {
    if (c.cls(i) != Cls::Number)
      continue;
    split(text.substr(start, i - start), PreTokenizer::GPT2, out);
    out.push_back(text.substr(i, c.next(i) - i));
    start = c.next(i);
  }
  split(text.substr(start), PreTokenizer::GPT2, out);
  return out;
}

} // namespace itq3::model
