//===- Unicode.cpp - Character classes and NFC from Unicode's tables -------===//
//
// The tables are generated (scripts/gen-unicode) from the Unicode database:
// the letter and number categories of the pre-tokenizer expressions, and
// canonical composition for the normalizer Qwen2's tokenizer declares.
//
//===----------------------------------------------------------------------===//

#include "Utf8.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

namespace itq3::model::utf8 {

namespace {

struct CodePointRange {
  uint32_t first, last;
};
struct CombiningClassRange {
  uint32_t first, last;
  uint8_t ccc;
};
struct Decomposition {
  uint32_t cp, offset, length;
};
struct Composition {
  uint32_t first, second, composite;
};

#include "UnicodeTables.inc"

template <typename Range, size_t N>
const Range *findRange(const Range (&table)[N], uint32_t cp) {
  const Range *it = std::upper_bound(
      std::begin(table), std::end(table), cp,
      [](uint32_t v, const Range &r) { return v < r.first; });
  if (it == std::begin(table) || cp > (it - 1)->last)
    return nullptr;
  return it - 1;
}

// Hangul syllables are composed arithmetically (Unicode 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161,
                   kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr uint32_t kSCount = kLCount * kVCount * kTCount;

/// Bytes that are not valid UTF-8 pass through unchanged: they are carried as
/// code points above Unicode's range, starters that compose with nothing.
constexpr uint32_t kRawByte = 0x110000;

uint8_t combiningClass(uint32_t cp) {
  if (cp < 0x300 || cp >= kRawByte)
    return 0;
  const CombiningClassRange *r = findRange(kCombiningClasses, cp);
  return r ? r->ccc : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t> &out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / (kVCount * kTCount));
    out.push_back(kVBase + (s % (kVCount * kTCount)) / kTCount);
    if (s % kTCount)
      out.push_back(kTBase + s % kTCount);
    return;
  }
  const Decomposition *d = std::lower_bound(
      std::begin(kDecompositions), std::end(kDecompositions), cp,
      [](const Decomposition &e, uint32_t v) { return e.cp < v; });
  if (d == std::end(kDecompositions) || d->cp != cp) {
    out.push_back(cp);
    return;
  }
  out.insert(out.end(), kDecompositionData + d->offset,
             kDecompositionData + d->offset + d->length);
}

/// The primary composite of a pair, or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase &&
      b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 &&
      b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const Composition *c = std::lower_bound(
      std::begin(kCompositions), std::end(kCompositions), std::pair(a, b),
      [](const Composition &e, std::pair<uint32_t, uint32_t> v) {
        return std::pair(e.first, e.second) < v;
      });
  if (c == std::end(kCompositions) || c->first != a || c->second != b)
    return 0;
  return c->composite;
}

bool isCompositionSecond(uint32_t cp) {
  if ((cp >= kVBase && cp < kVBase + kVCount) ||
      (cp > kTBase && cp < kTBase + kTCount))
    return true;
  static const std::vector<uint32_t> seconds = [] {
    std::vector<uint32_t> v;
    for (const Composition &c : kCompositions)
      v.push_back(c.second);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return std::binary_search(seconds.begin(), seconds.end(), cp);
}

/// Whether NFC can change text containing cp: a mark, a character with a
/// decomposition, or one that composes with what precedes it. ASCII and most
/// precomposed text have none, and are returned as they are.
bool mayChangeUnderNFC(uint32_t cp) {
  if (cp < 0xC0)
    return false;
  if (combiningClass(cp) != 0 || (cp >= kSBase && cp < kSBase + kSCount))
    return true;
  std::vector<uint32_t> one;
  decompose(cp, one);
  return one.size() != 1 || one[0] != cp || isCompositionSecond(cp);
}

std::vector<uint32_t> codePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    uint32_t cp = decode(s, i, len);
    bool malformed = cp == 0xFFFD && len == 1;
    out.push_back(malformed ? kRawByte + uint8_t(s[i]) : cp);
    i += len;
  }
  return out;
}

/// Stable sort of every run of non-starters by combining class. An insertion
/// sort: the runs are a few marks long.
void canonicalOrder(std::vector<uint32_t> &cps) {
  for (size_t i = 1; i < cps.size(); ++i) {
    uint8_t cls = combiningClass(cps[i]);
    if (cls == 0)
      continue;
    for (size_t j = i; j > 0; --j) {
      uint8_t prev = combiningClass(cps[j - 1]);
      if (prev == 0 || prev <= cls)
        break;
      std::swap(cps[j - 1], cps[j]);
    }
  }
}

/// Canonical composition (UAX #15): a character joins the last starter when
/// nothing between them blocks it.
void canonicalCompose(std::vector<uint32_t> &cps) {
  if (cps.empty())
    return;
  size_t starter = 0, out = 1;
  int lastClass = combiningClass(cps[0]) ? 256 : 0;
  for (size_t i = 1; i < cps.size(); ++i) {
    uint32_t cp = cps[i];
    int cls = combiningClass(cp);
    uint32_t composite = compose(cps[starter], cp);
    if (composite && (lastClass < cls || lastClass == 0)) {
      cps[starter] = composite;
      continue;
    }
    if (cls == 0)
      starter = out;
    lastClass = cls;
    cps[out++] = cp;
  }
  cps.resize(out);
}

} // namespace

bool isNumber(uint32_t cp) {
  if (cp < 0x80)
    return cp >= '0' && cp <= '9';
  return findRange(kNumberRanges, cp) != nullptr;
}

bool isLetter(uint32_t cp) {
  if (cp < 0x80)
    return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return findRange(kLetterRanges, cp) != nullptr;
}

std::string nfc(std::string_view text) {
  std::vector<uint32_t> cps = codePoints(text);
  if (std::none_of(cps.begin(), cps.end(), mayChangeUnderNFC))
    return std::string(text);
  std::vector<uint32_t> decomposed;
  decomposed.reserve(cps.size());
  for (uint32_t cp : cps)
    decompose(cp, decomposed);
  canonicalOrder(decomposed);
  canonicalCompose(decomposed);
  std::string out;
  out.reserve(text.size());
  for (uint32_t cp : decomposed) {
    if (cp >= kRawByte)
      out += char(cp - kRawByte);
    else
      append(out, cp);
  }
  return out;
}

} // namespace itq3::model::utf8
