//===- Tokenizer.cpp - Construction, special tokens, decoding -------------===//

#include "itq3/Model/Tokenizer.h"
#include "Utf8.h"

#include <algorithm>

namespace itq3::model {

static Status checkIds(const std::vector<std::string> &pieces, int32_t bos,
                       int32_t eos) {
  if (pieces.empty())
    return Status::error("tokenizer has no tokens");
  auto ok = [&](int32_t id) { return id >= -1 && id < int32_t(pieces.size()); };
  if (!ok(bos) || !ok(eos))
    return Status::error("tokenizer BOS/EOS id out of range (" +
                         std::to_string(bos) + "/" + std::to_string(eos) +
                         ", " + std::to_string(pieces.size()) + " tokens)");
  return Status::success();
}

Status Tokenizer::sentencePiece(std::vector<std::string> pieces,
                                std::vector<float> scores, int32_t bos,
                                int32_t eos, bool addSpacePrefix,
                                Tokenizer &out) {
  if (Status s = checkIds(pieces, bos, eos); !s)
    return s;
  if (scores.size() != pieces.size())
    return Status::error("tokenizer has " + std::to_string(scores.size()) +
                         " scores for " + std::to_string(pieces.size()) +
                         " tokens");
  out = Tokenizer();
  out.kind_ = Kind::SentencePiece;
  out.pieces_ = std::move(pieces);
  out.scores_ = std::move(scores);
  out.bos_ = bos;
  out.eos_ = eos;
  out.addSpacePrefix_ = addSpacePrefix;
  // The first id wins for duplicated pieces, as a sorted-vocab lookup would.
  for (size_t i = 0; i < out.pieces_.size(); ++i)
    out.ids_.emplace(out.pieces_[i], int32_t(i));
  return Status::success();
}

Status Tokenizer::byteBPE(std::vector<std::string> pieces,
                          const std::vector<std::string> &merges,
                          PreTokenizer pre, int32_t bos, int32_t eos,
                          Tokenizer &out) {
  if (Status s = checkIds(pieces, bos, eos); !s)
    return s;
  out = Tokenizer();
  out.kind_ = Kind::ByteBPE;
  out.pieces_ = std::move(pieces);
  out.bos_ = bos;
  out.eos_ = eos;
  out.pre_ = pre;
  for (size_t i = 0; i < out.pieces_.size(); ++i)
    out.ids_.emplace(out.pieces_[i], int32_t(i));
  for (size_t r = 0; r < merges.size(); ++r) {
    if (merges[r].find(' ') == std::string::npos)
      return Status::error("tokenizer merge " + std::to_string(r) + " ('" +
                           merges[r] + "') has no space separator");
    out.mergeRank_.emplace(merges[r], int32_t(r));
  }
  return Status::success();
}

void Tokenizer::setSpecial(const std::vector<int32_t> &ids) {
  special_.clear();
  for (int32_t id : ids)
    if (id >= 0 && id < size() && !pieces_[size_t(id)].empty())
      special_.push_back(id);
  // Longest first, so "<|im_start|>" wins over a shorter marker it contains.
  std::stable_sort(special_.begin(), special_.end(), [&](int32_t a, int32_t b) {
    return pieces_[size_t(a)].size() > pieces_[size_t(b)].size();
  });
}

int32_t Tokenizer::lookup(std::string_view s) const {
  auto it = ids_.find(std::string(s));
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addBos,
                                       bool parseSpecial) const {
  std::vector<int32_t> out;
  if (addBos && bos_ >= 0)
    out.push_back(bos_);
  if (!parseSpecial || special_.empty()) {
    encodeSegment(text, out);
    return out;
  }
  // Cut the text at every literal special token; encode the pieces between.
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    int32_t hit = -1;
    for (int32_t id : special_)
      if (text.substr(i).rfind(pieces_[size_t(id)], 0) == 0) {
        hit = id;
        break;
      }
    if (hit < 0) {
      ++i;
      continue;
    }
    encodeSegment(text.substr(start, i - start), out);
    out.push_back(hit);
    i += pieces_[size_t(hit)].size();
    start = i;
  }
  encodeSegment(text.substr(start), out);
  return out;
}

void Tokenizer::encodeSegment(std::string_view text,
                              std::vector<int32_t> &out) const {
  if (text.empty())
    return;
  std::string normalized;
  if (normalizer_ == Normalizer::NFC) {
    normalized = utf8::nfc(text);
    text = normalized;
  }
  if (kind_ == Kind::SentencePiece)
    encodeSentencePiece(text, out);
  else
    encodeByteBPE(text, out);
}

/// "<0x0A>" -> 0x0A, or -1 when the piece is not a byte piece.
static int byteOfPiece(const std::string &p) {
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>')
    return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  int hi = hex(p[3]), lo = hex(p[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string Tokenizer::decode(int32_t prev, int32_t token) const {
  if (token < 0 || token >= size())
    return "";
  const std::string &p = pieces_[size_t(token)];
  if (std::find(special_.begin(), special_.end(), token) != special_.end())
    return p;
  if (kind_ == Kind::ByteBPE)
    return utf8::unmapBytes(p);
  if (int b = byteOfPiece(p); b >= 0)
    return std::string(1, char(b));
  // The space prefix added by encode() is not part of the text.
  if (prev == bos_ && addSpacePrefix_ && !p.empty() && p[0] == ' ')
    return p.substr(1);
  return p;
}

std::string Tokenizer::decode(const std::vector<int32_t> &tokens) const {
  std::string s;
  int32_t prev = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    // A leading BOS that encode() added is not text; a model that adds no
    // BOS (SmolLM2's BOS is <|im_start|>) shows the token.
    if (i > 0 || tokens[i] != bos_ || !addBos_)
      s += decode(prev, tokens[i]);
    prev = tokens[i];
  }
  return s;
}

} // namespace itq3::model
