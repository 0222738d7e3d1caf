//===- Utf8.cpp - UTF-8 and character classes for the tokenizers ----------===//

#include "Utf8.h"

#include <array>

namespace itq3::model::utf8 {

size_t seqLength(std::string_view s, size_t i) {
  size_t len;
  decode(s, i, len);
  return len;
}

uint32_t decode(std::string_view s, size_t i, size_t &len) {
  auto b = [&](size_t k) { return uint8_t(s[i + k]); };
  uint8_t c = b(0);
  len = 1;
  if (c < 0x80)
    return c;
  size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0xFFFD;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80)
      return 0xFFFD;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  len = n;
  return cp;
}

void append(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

bool isSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
         cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

namespace {
/// Bytes that are printable and not space keep their value; the others are
/// moved, in order, to U+0100 and up.
struct ByteMap {
  std::array<uint32_t, 256> toCp{};
  ByteMap() {
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool keep = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
                  (b >= 0xAE && b <= 0xFF);
      toCp[b] = keep ? b : next++;
    }
  }
  int fromCp(uint32_t cp) const {
    if (cp < 256 && toCp[cp] == cp)
      return int(cp);
    if (cp >= 256 && cp < 256 + 68)
      for (uint32_t b = 0; b < 256; ++b)
        if (toCp[b] == cp)
          return int(b);
    return -1;
  }
};
const ByteMap &byteMap() {
  static const ByteMap m;
  return m;
}
} // namespace

std::string mapBytes(std::string_view raw) {
  std::string out;
  for (unsigned char c : raw)
    append(out, byteMap().toCp[c]);
  return out;
}

std::string unmapBytes(std::string_view mapped) {
  std::string out;
  for (size_t i = 0; i < mapped.size();) {
    size_t len;
    uint32_t cp = decode(mapped, i, len);
    int b = byteMap().fromCp(cp);
    if (b >= 0)
      out += char(b);
    else // not from the byte alphabet (e.g. an added token): keep as is
      out.append(mapped.substr(i, len));
    i += len;
  }
  return out;
}

} // namespace itq3::model::utf8
