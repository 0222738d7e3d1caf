//===- HFTokenizer.cpp - Hugging Face tokenizer.json ----------------------===//
//
// A tokenizer.json names its pipeline: normalizer, pre-tokenizer, model,
// added tokens. We read the byte-level BPE pipelines our pre-tokenizers
// implement (GPT-2, Llama 3, Qwen2, SmolLM), and refuse any other by what it
// is, rather than tokenizing differently from the model's own tokenizer.
// BOS and EOS come from tokenizer_config.json beside it when it exists.
//
//===----------------------------------------------------------------------===//

#include "itq3/Model/Tokenizer.h"
#include "Json.h"
#include "Utf8.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace itq3::model {

namespace {

using json::Value;

// The Split expressions of the published tokenizer.json files.
constexpr const char *kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
    "|\\s+";
constexpr const char *kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char *kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

Status readJson(const std::string &path, Value &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  if (Status s = json::parse(ss.str(), out); !s)
    return Status::error(path + ": " + s.message());
  return Status::success();
}

std::string typeOf(const Value *v) {
  const Value *t = v ? v->get("type") : nullptr;
  return t && t->isString() ? t->string : "";
}

bool flag(const Value &v, const char *key, bool byDefault) {
  const Value *f = v.get(key);
  return f && f->kind == Value::Kind::Bool ? f->boolean : byDefault;
}

/// A ByteLevel step with no prefix space; `regex` is whether it splits with
/// GPT-2's expression itself.
bool isByteLevel(const Value &v, bool regex) {
  return typeOf(&v) == "ByteLevel" && !flag(v, "add_prefix_space", false) &&
         flag(v, "use_regex", true) == regex;
}

std::string splitRegex(const Value &v) {
  const Value *pattern = v.get("pattern");
  const Value *regex = pattern ? pattern->get("Regex") : nullptr;
  const Value *behavior = v.get("behavior");
  if (typeOf(&v) != "Split" || !regex || !regex->isString() || !behavior ||
      !behavior->isString() || behavior->string != "Isolated" ||
      flag(v, "invert", false))
    return "";
  return regex->string;
}

Status parsePipeline(const Value *pre, PreTokenizer &out) {
  if (pre && isByteLevel(*pre, true)) {
    out = PreTokenizer::GPT2;
    return Status::success();
  }
  const Value *steps = pre ? pre->get("pretokenizers") : nullptr;
  if (typeOf(pre) == "Sequence" && steps && steps->array.size() == 2) {
    const Value &first = steps->array[0], &second = steps->array[1];
    std::string regex = splitRegex(first);
    if (isByteLevel(second, false) && !regex.empty()) {
      if (regex == kQwen2Regex)
        out = PreTokenizer::Qwen2;
      else if (regex == kLlama3Regex)
        out = PreTokenizer::Llama3;
      else if (regex == kGpt2Regex)
        out = PreTokenizer::GPT2;
      else
        return Status::error("the pre-tokenizer's Split expression is not one "
                             "we implement (GPT-2, Llama 3, Qwen2): " + regex);
      return Status::success();
    }
    if (typeOf(&first) == "Digits" && flag(first, "individual_digits", false) &&
        isByteLevel(second, true)) {
      out = PreTokenizer::SmolLM;
      return Status::success();
    }
  }
  return Status::error("pre-tokenizer '" + typeOf(pre) +
                       "' is not supported (byte-level BPE with the GPT-2, "
                       "Llama 3, Qwen2 or SmolLM splits is)");
}

Status parseNormalizer(const Value *n, Tokenizer::Normalizer &out) {
  std::string type = typeOf(n);
  if (!n || n->kind == Value::Kind::Null)
    out = Tokenizer::Normalizer::None;
  else if (type == "NFC")
    out = Tokenizer::Normalizer::NFC;
  else
    return Status::error("normalizer '" + type +
                         "' is not supported (none and NFC are)");
  return Status::success();
}

/// merges are "a b" strings (older files) or ["a", "b"] pairs (newer).
Status readMerges(const Value &model, std::vector<std::string> &out) {
  const Value *merges = model.get("merges");
  if (!merges || merges->kind != Value::Kind::Array)
    return Status::error("the BPE model has no merges list");
  for (const Value &m : merges->array) {
    if (m.isString())
      out.push_back(m.string);
    else if (m.array.size() == 2 && m.array[0].isString() &&
             m.array[1].isString())
      out.push_back(m.array[0].string + " " + m.array[1].string);
    else
      return Status::error("a merge is neither \"a b\" nor [\"a\", \"b\"]");
  }
  return Status::success();
}

/// Places a piece at its id; an id seen twice, or far beyond the vocabulary,
/// is a malformed file.
Status place(std::vector<std::string> &pieces, double id,
             const std::string &piece) {
  constexpr double kMaxId = 1 << 24;
  if (!(id >= 0 && id < kMaxId) || id != double(int64_t(id)))
    return Status::error("token id " + std::to_string(id) + " is invalid");
  size_t at = size_t(id);
  if (at >= pieces.size())
    pieces.resize(at + 1);
  if (!pieces[at].empty() && pieces[at] != piece)
    return Status::error("token id " + std::to_string(at) + " is given twice ('" +
                         pieces[at] + "', '" + piece + "')");
  pieces[at] = piece;
  return Status::success();
}

/// Vocabulary and added tokens, padded to the model's vocabulary (exporters
/// round it up); ids no entry names get a placeholder that no text produces.
Status readPieces(const Value &root, const Value &model, int64_t vocabSize,
                  std::vector<std::string> &pieces,
                  std::vector<int32_t> &added) {
  const Value *vocab = model.get("vocab");
  if (!vocab || vocab->kind != Value::Kind::Object || vocab->object.empty())
    return Status::error("the BPE model has no vocab");
  for (const auto &[piece, id] : vocab->object)
    if (Status s = id.isNumber() ? place(pieces, id.number, piece)
                                 : Status::error("vocab entry '" + piece +
                                                 "' has no numeric id");
        !s)
      return s;
  if (const Value *list = root.get("added_tokens"))
    for (const Value &t : list->array) {
      const Value *id = t.get("id"), *content = t.get("content");
      if (!id || !id->isNumber() || !content || !content->isString() ||
          content->string.empty())
        return Status::error("an added token lacks its id or content");
      // Pieces are in GPT-2's byte alphabet; an added token is raw text.
      if (Status s = place(pieces, id->number, utf8::mapBytes(content->string));
          !s)
        return s;
      added.push_back(int32_t(id->number));
    }
  if (vocabSize > 0 && int64_t(pieces.size()) > vocabSize)
    return Status::error(std::to_string(pieces.size()) +
                         " tokens, more than the model's vocabulary of " +
                         std::to_string(vocabSize));
  pieces.resize(std::max(pieces.size(), size_t(vocabSize)));
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].empty())
      pieces[i] = "[UNUSED" + std::to_string(i) + "]";
  return Status::success();
}

/// The id of a token given as "text" or {"content": "text"} in
/// tokenizer_config.json, or -1.
int32_t tokenId(const std::vector<std::string> &pieces, const Value *v) {
  const Value *content = v && v->kind == Value::Kind::Object
                             ? v->get("content") : v;
  if (!content || !content->isString())
    return -1;
  auto it = std::find(pieces.begin(), pieces.end(),
                      utf8::mapBytes(content->string));
  return it == pieces.end() ? -1 : int32_t(it - pieces.begin());
}

struct BosEos {
  int32_t bos = -1, eos = -1;
  bool addBos = false;
};

/// tokenizer_config.json beside the tokenizer names BOS and EOS; without it
/// there are none (generation then stops only at its length).
BosEos readBosEos(const std::string &path,
                  const std::vector<std::string> &pieces) {
  size_t slash = path.find_last_of('/');
  std::string configPath =
      (slash == std::string::npos ? "" : path.substr(0, slash + 1)) +
      "tokenizer_config.json";
  Value config;
  BosEos out;
  if (!std::ifstream(configPath) || !readJson(configPath, config))
    return out;
  out.bos = tokenId(pieces, config.get("bos_token"));
  out.eos = tokenId(pieces, config.get("eos_token"));
  out.addBos = out.bos >= 0 && flag(config, "add_bos_token", false);
  return out;
}

Status buildTokenizer(const std::string &path, const Value &root,
                      int64_t vocabSize, Tokenizer &out) {
  const Value *model = root.get("model");
  if (!model || (typeOf(model) != "BPE" && !typeOf(model).empty()))
    return Status::error("model '" + typeOf(model) +
                         "' is not supported (BPE is)");
  if (flag(*model, "byte_fallback", false))
    return Status::error("a SentencePiece-style BPE (byte_fallback) is not "
                         "supported yet: byte-level BPE is");
  for (const char *key : {"dropout", "continuing_subword_prefix",
                          "end_of_word_suffix"})
    if (const Value *v = model->get(key);
        v && v->kind != Value::Kind::Null && !(v->isString() && v->string.empty()))
      return Status::error(std::string("BPE with ") + key + " is not supported");
  PreTokenizer pre;
  if (Status s = parsePipeline(root.get("pre_tokenizer"), pre); !s)
    return s;
  // Our Llama 3 split takes a pre-token that is a token whole, as its
  // ignore_merges says; the other pipelines always merge.
  bool ignoreMerges = flag(*model, "ignore_merges", false);
  if (ignoreMerges != (pre == PreTokenizer::Llama3))
    return Status::error(std::string("ignore_merges ") +
                         (ignoreMerges ? "true" : "false") +
                         " does not go with this pre-tokenizer");
  Tokenizer::Normalizer normalizer;
  if (Status s = parseNormalizer(root.get("normalizer"), normalizer); !s)
    return s;
  std::vector<std::string> pieces, merges;
  std::vector<int32_t> added;
  if (Status s = readPieces(root, *model, vocabSize, pieces, added); !s)
    return s;
  if (Status s = readMerges(*model, merges); !s)
    return s;
  BosEos ids = readBosEos(path, pieces);
  if (Status s = Tokenizer::byteBPE(std::move(pieces), merges, pre, ids.bos,
                                    ids.eos, out);
      !s)
    return s;
  out.setNormalizer(normalizer);
  out.setSpecial(added);
  out.setAddBos(ids.addBos);
  return Status::success();
}

} // namespace

Status loadHFTokenizer(const std::string &path, int64_t vocabSize,
                       Tokenizer &out) {
  Value root;
  if (Status s = readJson(path, root); !s)
    return s;
  if (root.kind != Value::Kind::Object)
    return Status::error(path + ": not a JSON object");
  if (Status s = buildTokenizer(path, root, vocabSize, out); !s)
    return Status::error(path + ": " + s.message());
  return Status::success();
}

Status loadTokenizerFile(const std::string &path, int64_t vocabSize,
                         Tokenizer &out) {
  static const std::string json = ".json";
  if (path.size() >= json.size() &&
      path.compare(path.size() - json.size(), json.size(), json) == 0)
    return loadHFTokenizer(path, vocabSize, out);
  return loadLlama2cTokenizer(path, vocabSize, out);
}

} // namespace itq3::model
