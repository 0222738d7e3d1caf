//===- Utf8.h - UTF-8 and character classes for the tokenizers --*- C++ -*-===//
#ifndef ITQ3_LIB_MODEL_UTF8_H
#define ITQ3_LIB_MODEL_UTF8_H

#include <cstdint>
#include <string>
#include <string_view>

namespace itq3::model::utf8 {

/// Length of the UTF-8 sequence starting at s[i] (1 for an invalid byte, so
/// malformed input still advances and is handled byte by byte).
size_t seqLength(std::string_view s, size_t i);
/// The code point at s[i] (U+FFFD for malformed input) and its length.
uint32_t decode(std::string_view s, size_t i, size_t &len);
void append(std::string &out, uint32_t cp);

/// Unicode classes as used by the pre-tokenizer expressions: White_Space,
/// and the general categories N* (\p{N}) and L* (\p{L}) from the tables
/// scripts/gen-unicode writes (Unicode.cpp).
bool isSpace(uint32_t cp);
bool isNumber(uint32_t cp);
bool isLetter(uint32_t cp);

/// Normalization Form C (canonical decomposition, then composition), as
/// Qwen2's tokenizer applies before splitting. Bytes that are not UTF-8 are
/// kept as they are.
std::string nfc(std::string_view text);

/// GPT-2's reversible byte -> printable code point map, applied to every
/// byte of a pre-token before BPE; unmapBytes inverts it on a whole piece.
std::string mapBytes(std::string_view raw);
std::string unmapBytes(std::string_view mapped);

} // namespace itq3::model::utf8

#endif // ITQ3_LIB_MODEL_UTF8_H
