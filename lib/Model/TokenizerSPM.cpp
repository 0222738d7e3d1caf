//===- TokenizerSPM.cpp - SentencePiece-style merging by score ------------===//
//
// The rule (as in llama2.c): start from one symbol per UTF-8 character, then
// repeatedly merge the adjacent pair whose concatenation is the vocabulary
// piece with the highest score, the leftmost pair on a tie, until no pair is
// in the vocabulary. A heap of candidate pairs keeps this O(n log n) instead
// of rescanning the text after every merge, which matters for a whole novel.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Tokenizer.h"
#include "ByteReader.h"
#include "Utf8.h"

#include <cstdio>
#include <queue>

namespace itq3::model {

namespace {
struct Symbol {
  size_t start, len;
  int prev, next;
  bool fallback; // not in the vocabulary: emitted as byte pieces, never merged
};
struct Candidate {
  float score;
  size_t start;     // leftmost wins among equal scores
  int left, right;
  size_t leftLen, rightLen; // to detect a candidate made stale by a merge
  bool operator<(const Candidate &o) const {
    if (score != o.score)
      return score < o.score;
    return start > o.start;
  }
};
} // namespace

void Tokenizer::encodeSentencePiece(std::string_view raw,
                                    std::vector<int32_t> &out) const {
  std::string text = addSpacePrefix_ ? " " + std::string(raw) : std::string(raw);
  std::vector<Symbol> sym;
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8::seqLength(text, i);
    bool known = lookup(std::string_view(text).substr(i, len)) >= 0;
    sym.push_back({i, len, int(sym.size()) - 1, int(sym.size()) + 1, !known});
    i += len;
  }
  if (sym.empty())
    return;
  sym.back().next = -1;

  std::priority_queue<Candidate> heap;
  auto consider = [&](int l, int r) {
    if (l < 0 || r < 0 || sym[size_t(l)].fallback || sym[size_t(r)].fallback)
      return;
    const Symbol &a = sym[size_t(l)], &b = sym[size_t(r)];
    int32_t id = lookup(std::string_view(text).substr(a.start, a.len + b.len));
    if (id >= 0)
      heap.push({scores_[size_t(id)], a.start, l, r, a.len, b.len});
  };
  for (size_t i = 0; i + 1 < sym.size(); ++i)
    consider(int(i), int(i + 1));

  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    Symbol &a = sym[size_t(c.left)], &b = sym[size_t(c.right)];
    if (a.len != c.leftLen || b.len != c.rightLen || a.next != c.right)
      continue; // one side has merged since this candidate was pushed
    a.len += b.len;
    a.next = b.next;
    if (b.next >= 0)
      sym[size_t(b.next)].prev = c.left;
    b.len = 0; // dead
    consider(a.prev, c.left);
    consider(c.left, a.next);
  }

  for (int i = 0; i >= 0; i = sym[size_t(i)].next) {
    const Symbol &s = sym[size_t(i)];
    std::string_view piece = std::string_view(text).substr(s.start, s.len);
    if (!s.fallback) {
      out.push_back(lookup(piece));
      continue;
    }
    for (unsigned char byte : piece) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", byte);
      int32_t id = lookup(name);
      if (id >= 0)
        out.push_back(id);
    }
  }
}

Status loadLlama2cTokenizer(const std::string &path, int64_t vocabSize,
                            Tokenizer &out) {
  MappedFile file;
  if (Status s = file.open(path); !s)
    return s;
  ByteReader r(file.data(), file.size(), path);
  int32_t maxLen;
  if (Status s = r.read(maxLen, "max_token_length"); !s)
    return s;
  if (maxLen <= 0 || maxLen > (1 << 16))
    return r.error("implausible max_token_length " + std::to_string(maxLen));
  if (vocabSize <= 0 || uint64_t(vocabSize) > r.remaining() / 8)
    return r.error("file too small for " + std::to_string(vocabSize) +
                   " tokens (each needs at least 8 bytes)");
  std::vector<std::string> pieces(static_cast<size_t>(vocabSize));
  std::vector<float> scores(static_cast<size_t>(vocabSize));
  for (int64_t i = 0; i < vocabSize; ++i) {
    int32_t len;
    const uint8_t *p;
    if (Status s = r.read(scores[size_t(i)], "token score"); !s)
      return s;
    if (Status s = r.read(len, "token length"); !s)
      return s;
    if (len < 0 || len > maxLen)
      return r.error("token " + std::to_string(i) + " has length " +
                     std::to_string(len) + " (max_token_length " +
                     std::to_string(maxLen) + ")");
    if (Status s = r.bytes(uint64_t(len), p, "token text"); !s)
      return s;
    pieces[size_t(i)].assign(reinterpret_cast<const char *>(p), size_t(len));
  }
  // llama2.c's convention: 1 = <s>, 2 = </s>, and a dummy space prefix.
  int32_t bos = vocabSize > 1 ? 1 : -1, eos = vocabSize > 2 ? 2 : -1;
  return Tokenizer::sentencePiece(std::move(pieces), std::move(scores), bos,
                                  eos, /*addSpacePrefix=*/true, out);
}

} // namespace itq3::model
