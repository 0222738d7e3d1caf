//===- TokenizerBPE.cpp - Byte-level BPE with merge ranks -----------------===//
//
// Each pre-token is mapped byte by byte into GPT-2's printable alphabet and
// split into characters; then the adjacent pair with the lowest merge rank is
// merged (leftmost first on a tie) until no pair has a rank. That is the
// classic "merge the best bigram everywhere, repeat" loop, done with a heap.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Tokenizer.h"
#include "Utf8.h"

#include <queue>

namespace itq3::model {

namespace {
struct Part {
  size_t start, len;
  int next;
};
struct Pair {
  int32_t rank;
  size_t start;
  int left, right;
  size_t leftLen, rightLen;
  bool operator<(const Pair &o) const {
    if (rank != o.rank)
      return rank > o.rank;
    return start > o.start;
  }
};
} // namespace

void Tokenizer::bpeWord(const std::string &w, std::vector<int32_t> &out) const {
  std::vector<Part> parts;
  for (size_t i = 0; i < w.size();) {
    size_t len = utf8::seqLength(w, i);
    parts.push_back({i, len, int(parts.size()) + 1});
    i += len;
  }
  parts.back().next = -1;
  std::vector<int> prev(parts.size());
  for (size_t i = 0; i < parts.size(); ++i)
    prev[i] = int(i) - 1;

  std::priority_queue<Pair> heap;
  std::string key;
  auto consider = [&](int l, int r) {
    if (l < 0 || r < 0)
      return;
    const Part &a = parts[size_t(l)], &b = parts[size_t(r)];
    key.assign(w, a.start, a.len);
    key += ' ';
    key.append(w, b.start, b.len);
    auto it = mergeRank_.find(key);
    if (it != mergeRank_.end())
      heap.push({it->second, a.start, l, r, a.len, b.len});
  };
  for (size_t i = 0; i + 1 < parts.size(); ++i)
    consider(int(i), int(i + 1));
  while (!heap.empty()) {
    Pair p = heap.top();
    heap.pop();
    Part &a = parts[size_t(p.left)], &b = parts[size_t(p.right)];
    if (a.len != p.leftLen || b.len != p.rightLen || a.next != p.right)
      continue;
    a.len += b.len;
    a.next = b.next;
    if (b.next >= 0)
      prev[size_t(b.next)] = p.left;
    b.len = 0;
    consider(prev[size_t(p.left)], p.left);
    consider(p.left, a.next);
  }
  for (int i = 0; i >= 0; i = parts[size_t(i)].next) {
    std::string_view piece = std::string_view(w).substr(parts[size_t(i)].start,
                                                        parts[size_t(i)].len);
    int32_t id = lookup(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // A merge result missing from the vocabulary (a malformed file): fall
    // back to its characters, each of which a byte-level vocabulary has.
    for (size_t k = 0; k < piece.size();) {
      size_t len = utf8::seqLength(piece, k);
      if (int32_t c = lookup(piece.substr(k, len)); c >= 0)
        out.push_back(c);
      k += len;
    }
  }
}

void Tokenizer::encodeByteBPE(std::string_view text,
                              std::vector<int32_t> &out) const {
  for (std::string_view word : preTokenize(text, pre_)) {
    std::string mapped = utf8::mapBytes(word);
    // Llama 3 declares ignore_merges: a pre-token that is itself a token is
    // taken whole. Other models always run the merges.
    if (int32_t id = pre_ == PreTokenizer::Llama3 ? lookup(mapped) : -1;
        id >= 0) {
      out.push_back(id);
      continue;
    }
    bpeWord(mapped, out);
  }
}

} // namespace itq3::model
