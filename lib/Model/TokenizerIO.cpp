//===- TokenizerIO.cpp - A tokenizer as bytes, and back --------------------===//
//
// Layout, version 2, all integers little-endian:
//   char[8] magic "ITQ3TOK\0"; u32 version
//   u8 kind (0 SentencePiece, 1 byte-level BPE)
//   u8 pre-tokenizer (0 GPT2, 1 Llama3, 2 Qwen2, 3 SmolLM)
//   u8 addSpacePrefix, u8 addBos (0 or 1)
//   u8 normalizer (0 none, 1 NFC; absent in version 1, which means none)
//   i32 bos, i32 eos (-1 = none)
//   u32 N, then N pieces            (a string: u32 length + bytes)
//   u32 scores (N for SentencePiece, 0 for BPE), then f32 each
//   u32 M, then M merges "a b" in rank order
//   u32 S, then S special-token ids (i32, in match order)
// and nothing after. The codes are fixed here rather than taken from the
// enums, so reordering an enum cannot change what old bundles mean.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Tokenizer.h"
#include "ByteReader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

namespace itq3::model {

namespace {

constexpr char kMagic[8] = {'I', 'T', 'Q', '3', 'T', 'O', 'K', '\0'};
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
/// Far above any real vocabulary (~256K), far below what would overflow an
/// int32 id: a count beyond it is corruption, not a big model.
constexpr uint32_t kMaxTokens = 1u << 24;
constexpr uint32_t kMaxMerges = 1u << 24;

constexpr PreTokenizer kPreCodes[] = {PreTokenizer::GPT2, PreTokenizer::Llama3,
                                      PreTokenizer::Qwen2, PreTokenizer::SmolLM};

uint8_t preCode(PreTokenizer p) {
  return uint8_t(std::find(std::begin(kPreCodes), std::end(kPreCodes), p) -
                 std::begin(kPreCodes));
}

/// Appends little-endian values whatever the host's byte order.
struct ByteWriter {
  std::vector<uint8_t> out;

  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out.push_back(uint8_t(v >> (8 * i)));
  }
  void i32(int32_t v) { u32(uint32_t(v)); }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void str(const std::string &s) {
    u32(uint32_t(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
};

/// Merges in rank order. Ranks may have gaps (a duplicated merge keeps its
/// first rank); only their order matters to encode().
std::vector<std::string>
mergesByRank(const std::unordered_map<std::string, int32_t> &ranks) {
  std::vector<std::pair<int32_t, const std::string *>> byRank;
  for (const auto &[merge, rank] : ranks)
    byRank.push_back({rank, &merge});
  std::sort(byRank.begin(), byRank.end());
  std::vector<std::string> out;
  for (const auto &entry : byRank)
    out.push_back(*entry.second);
  return out;
}

} // namespace

std::vector<uint8_t> serializeTokenizer(const Tokenizer &t) {
  ByteWriter w;
  w.out.assign(std::begin(kMagic), std::end(kMagic));
  w.u32(kVersion);
  w.u8(t.kind_ == Tokenizer::Kind::SentencePiece ? 0 : 1);
  w.u8(preCode(t.pre_));
  w.u8(t.addSpacePrefix_ ? 1 : 0);
  w.u8(t.addBos_ ? 1 : 0);
  w.u8(t.normalizer_ == Tokenizer::Normalizer::NFC ? 1 : 0);
  w.i32(t.bos_);
  w.i32(t.eos_);
  w.u32(uint32_t(t.pieces_.size()));
  for (const std::string &p : t.pieces_)
    w.str(p);
  w.u32(uint32_t(t.scores_.size()));
  for (float s : t.scores_)
    w.f32(s);
  std::vector<std::string> merges = mergesByRank(t.mergeRank_);
  w.u32(uint32_t(merges.size()));
  for (const std::string &m : merges)
    w.str(m);
  w.u32(uint32_t(t.special_.size()));
  for (int32_t id : t.special_)
    w.i32(id);
  return std::move(w.out);
}

namespace {

/// What deserializeTokenizer reads before it builds the Tokenizer.
struct Fields {
  uint8_t kind = 0, pre = 0, addSpacePrefix = 0, addBos = 0, nfc = 0;
  int32_t bos = -1, eos = -1;
  std::vector<std::string> pieces, merges;
  std::vector<float> scores;
  std::vector<int32_t> special;
};

/// A count of items that take at least minBytes each: refused when above
/// `limit` or when the remaining bytes cannot hold that many, so nothing is
/// ever sized from an absurd count.
Status readCount(ByteReader &r, uint32_t limit, uint64_t minBytes,
                 const char *what, uint32_t &out) {
  if (Status s = r.read(out, what); !s)
    return s;
  if (out > limit)
    return r.error(std::string(what) + " " + std::to_string(out) +
                   " exceeds the limit of " + std::to_string(limit));
  if (uint64_t(out) * minBytes > r.remaining())
    return r.error(std::string(what) + " " + std::to_string(out) +
                   " needs at least " + std::to_string(out * minBytes) +
                   " bytes, only " + std::to_string(r.remaining()) + " left");
  return Status::success();
}

Status readString(ByteReader &r, const char *what, std::string &out) {
  uint32_t len;
  if (Status s = r.read(len, what); !s)
    return s;
  const uint8_t *p;
  if (Status s = r.bytes(len, p, what); !s)
    return s;
  out.assign(reinterpret_cast<const char *>(p), len);
  return Status::success();
}

Status readFlag(ByteReader &r, const char *what, uint8_t &out) {
  if (Status s = r.read(out, what); !s)
    return s;
  if (out > 1)
    return r.error(std::string(what) + " is " + std::to_string(out) +
                   ", not 0 or 1");
  return Status::success();
}

Status readHeader(ByteReader &r, Fields &f) {
  const uint8_t *magic;
  if (Status s = r.bytes(sizeof kMagic, magic, "magic"); !s)
    return s;
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    return r.error("not a serialized tokenizer (bad magic)");
  uint32_t version;
  if (Status s = r.read(version, "version"); !s)
    return s;
  if (version < kOldestVersion || version > kVersion)
    return r.error("tokenizer format version " + std::to_string(version) +
                   " is not supported (this build reads versions " +
                   std::to_string(kOldestVersion) + " to " +
                   std::to_string(kVersion) + ")");
  if (Status s = r.read(f.kind, "kind"); !s)
    return s;
  if (f.kind > 1)
    return r.error("unknown tokenizer kind " + std::to_string(f.kind));
  if (Status s = r.read(f.pre, "pre-tokenizer"); !s)
    return s;
  if (f.pre >= std::size(kPreCodes))
    return r.error("unknown pre-tokenizer " + std::to_string(f.pre));
  if (Status s = readFlag(r, "addSpacePrefix", f.addSpacePrefix); !s)
    return s;
  if (Status s = readFlag(r, "addBos", f.addBos); !s)
    return s;
  if (version >= 2)
    if (Status s = readFlag(r, "normalizer", f.nfc); !s)
      return s;
  if (Status s = r.read(f.bos, "bos"); !s)
    return s;
  return r.read(f.eos, "eos");
}

Status readStrings(ByteReader &r, uint32_t limit, const char *countName,
                   const char *itemName, std::vector<std::string> &out) {
  uint32_t n;
  if (Status s = readCount(r, limit, 4, countName, n); !s)
    return s;
  out.resize(n);
  for (std::string &item : out)
    if (Status s = readString(r, itemName, item); !s)
      return s;
  return Status::success();
}

Status readScores(ByteReader &r, Fields &f) {
  uint32_t n;
  if (Status s = readCount(r, kMaxTokens, 4, "score count", n); !s)
    return s;
  size_t want = f.kind == 0 ? f.pieces.size() : 0;
  if (n != want)
    return r.error(std::to_string(n) + " scores for " +
                   std::to_string(f.pieces.size()) + " tokens of a " +
                   (f.kind == 0 ? "SentencePiece" : "byte-level BPE") +
                   " tokenizer (expected " + std::to_string(want) + ")");
  f.scores.resize(n);
  for (float &score : f.scores) {
    if (Status s = r.read(score, "score"); !s)
      return s;
    // A NaN would break the strict ordering the merge heap relies on.
    if (std::isnan(score))
      return r.error("a token score is NaN");
  }
  return Status::success();
}

Status readSpecial(ByteReader &r, Fields &f) {
  uint32_t n;
  if (Status s = readCount(r, kMaxTokens, 4, "special-token count", n); !s)
    return s;
  f.special.resize(n);
  for (int32_t &id : f.special) {
    if (Status s = r.read(id, "special-token id"); !s)
      return s;
    if (id < 0 || size_t(id) >= f.pieces.size())
      return r.error("special-token id " + std::to_string(id) +
                     " outside the " + std::to_string(f.pieces.size()) +
                     " tokens");
    if (f.pieces[size_t(id)].empty())
      return r.error("special token " + std::to_string(id) + " is empty");
  }
  return Status::success();
}

Status readFields(ByteReader &r, Fields &f) {
  if (Status s = readHeader(r, f); !s)
    return s;
  if (Status s = readStrings(r, kMaxTokens, "token count", "token", f.pieces);
      !s)
    return s;
  if (Status s = readScores(r, f); !s)
    return s;
  if (Status s = readStrings(r, kMaxMerges, "merge count", "merge", f.merges);
      !s)
    return s;
  if (f.kind == 0 && !f.merges.empty())
    return r.error("a SentencePiece tokenizer has " +
                   std::to_string(f.merges.size()) + " merges");
  if (Status s = readSpecial(r, f); !s)
    return s;
  if (r.remaining() != 0)
    return r.error(std::to_string(r.remaining()) +
                   " unexpected bytes after the tokenizer");
  return Status::success();
}

} // namespace

Status deserializeTokenizer(const uint8_t *data, size_t size, Tokenizer &out) {
  ByteReader r(data, size, "serialized tokenizer");
  Fields f;
  if (Status s = readFields(r, f); !s)
    return s;
  // The factories check what they check for any source (ids in range,
  // merges with a separator); the rest is set as it was.
  Tokenizer t;
  Status s = f.kind == 0
                 ? Tokenizer::sentencePiece(std::move(f.pieces),
                                            std::move(f.scores), f.bos, f.eos,
                                            f.addSpacePrefix != 0, t)
                 : Tokenizer::byteBPE(std::move(f.pieces), f.merges,
                                      kPreCodes[f.pre], f.bos, f.eos, t);
  if (!s)
    return Status::error("serialized tokenizer: " + s.message());
  t.setSpecial(f.special);
  t.setAddBos(f.addBos != 0);
  t.setNormalizer(f.nfc ? Tokenizer::Normalizer::NFC
                        : Tokenizer::Normalizer::None);
  out = std::move(t);
  return Status::success();
}

} // namespace itq3::model
