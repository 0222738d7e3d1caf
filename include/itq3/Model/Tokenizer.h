//===- Tokenizer.h - SentencePiece-style and byte-level BPE -----*- C++ -*-===//
//
// Two tokenizer families cover the models we import:
//  * SentencePiece with scores (llama2.c tokenizer.bin, GGUF "llama"):
//    start from UTF-8 characters, repeatedly merge the adjacent pair whose
//    concatenation is the highest-scoring piece; characters missing from the
//    vocabulary fall back to <0xXX> byte pieces.
//  * byte-level BPE (GGUF "gpt2"): split the text with the model's declared
//    pre-tokenizer, map bytes to printable code points, merge pairs in
//    merge-rank order.
// Pieces are stored with real spaces: SentencePiece's U+2581 is replaced on
// import, so decoding is plain concatenation for both families.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_TOKENIZER_H
#define ITQ3_MODEL_TOKENIZER_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace itq3::model {

using format::Status;

/// How a pre-tokenizer splits text before byte-level BPE. The names are the
/// ones GGUF files declare in tokenizer.ggml.pre.
enum class PreTokenizer {
  GPT2,   // 's|'t|... | ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Llama3, // case-insensitive contractions, digits in groups of <= 3, ...
  Qwen2,  // as Llama3 but single digits
  SmolLM, // every digit isolated, then GPT2
};

/// Parses a GGUF tokenizer.ggml.pre name; false for one we do not know.
bool parsePreTokenizer(std::string_view name, PreTokenizer &out);
/// Splits text into pre-tokens (exposed for tests).
std::vector<std::string_view> preTokenize(std::string_view text,
                                          PreTokenizer kind);

class Tokenizer {
public:
  enum class Kind { SentencePiece, ByteBPE };
  /// Applied to the text (between special tokens) before anything else.
  enum class Normalizer { None, NFC };

  /// pieces[i] is token i's text (spaces as ' ', bytes as "<0xXX>").
  static Status sentencePiece(std::vector<std::string> pieces,
                              std::vector<float> scores, int32_t bos,
                              int32_t eos, bool addSpacePrefix, Tokenizer &out);
  /// pieces in the byte-to-code-point alphabet of GPT-2; merges as "a b".
  static Status byteBPE(std::vector<std::string> pieces,
                        const std::vector<std::string> &merges,
                        PreTokenizer pre, int32_t bos, int32_t eos,
                        Tokenizer &out);

  /// Marks tokens matched literally in input text when encode() is asked to
  /// parse special tokens (chat markers such as <|im_start|>).
  void setSpecial(const std::vector<int32_t> &ids);
  void setNormalizer(Normalizer n) { normalizer_ = n; }
  Normalizer normalizer() const { return normalizer_; }

  std::vector<int32_t> encode(std::string_view text, bool addBos,
                              bool parseSpecial = false) const;
  /// The text of one token as it should be printed after `prev`.
  std::string decode(int32_t prev, int32_t token) const;
  std::string decode(const std::vector<int32_t> &tokens) const;

  /// Whether text should start with BOS (the model's declared default).
  bool addBos() const { return addBos_; }
  void setAddBos(bool v) { addBos_ = v; }

  Kind kind() const { return kind_; }
  int64_t size() const { return int64_t(pieces_.size()); }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  const std::string &piece(int32_t id) const { return pieces_[size_t(id)]; }
  /// SentencePiece merge score of a piece (0 for byte-level BPE).
  float score(int32_t id) const {
    return scores_.empty() ? 0.0f : scores_[size_t(id)];
  }

private:
  friend std::vector<uint8_t> serializeTokenizer(const Tokenizer &t);

  void encodeSegment(std::string_view text, std::vector<int32_t> &out) const;
  void encodeSentencePiece(std::string_view text,
                           std::vector<int32_t> &out) const;
  void encodeByteBPE(std::string_view text, std::vector<int32_t> &out) const;
  void bpeWord(const std::string &mapped, std::vector<int32_t> &out) const;
  int32_t lookup(std::string_view s) const;

  Kind kind_ = Kind::SentencePiece;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int32_t> ids_;
  std::unordered_map<std::string, int32_t> mergeRank_; // "a b" -> rank
  std::vector<int32_t> special_;
  int32_t bos_ = -1, eos_ = -1;
  bool addSpacePrefix_ = true;
  bool addBos_ = true;
  PreTokenizer pre_ = PreTokenizer::GPT2;
  Normalizer normalizer_ = Normalizer::None;
};

/// Reads a llama2.c tokenizer.bin: int32 max_token_length, then per token a
/// float32 score, an int32 length and the bytes. vocabSize comes from the
/// model header, which the file itself does not record.
Status loadLlama2cTokenizer(const std::string &path, int64_t vocabSize,
                            Tokenizer &out);

/// Reads a Hugging Face tokenizer.json: byte-level BPE with the GPT-2,
/// Llama 3, Qwen2 or SmolLM split (a Split expression must be exactly one of
/// theirs), normalizer none or NFC, its added tokens (matched in prompts as
/// special tokens), and BOS/EOS from tokenizer_config.json beside it when
/// present. Other pipelines are refused by name. The vocabulary is padded to
/// vocabSize (0: as the file has it); a larger one is an error.
Status loadHFTokenizer(const std::string &path, int64_t vocabSize,
                       Tokenizer &out);

/// A tokenizer file a user names: tokenizer.json by its extension, a
/// llama2.c tokenizer.bin otherwise.
Status loadTokenizerFile(const std::string &path, int64_t vocabSize,
                         Tokenizer &out);

/// A tokenizer as bytes, so a compiled bundle carries it: a magic and a
/// version, then everything encode() and decode() use (TokenizerIO.cpp has
/// the layout). Little-endian; strings are length-prefixed.
std::vector<uint8_t> serializeTokenizer(const Tokenizer &t);
/// The inverse of serializeTokenizer. The bytes are untrusted: every count,
/// length and id is checked against the data before it is used, and any
/// inconsistency is an error naming what is wrong.
Status deserializeTokenizer(const uint8_t *data, size_t size, Tokenizer &out);

} // namespace itq3::model

#endif // ITQ3_MODEL_TOKENIZER_H
