//===- GGUFTokenizer.cpp - The tokenizer embedded in a GGUF file ----------===//

#include "itq3/Model/Tokenizer.h"
#include "GGUFMetadata.h"

#include <memory>

namespace itq3::model::gguf {

namespace {

/// SentencePiece marks spaces with U+2581; our pieces hold real spaces.
std::string unmarkSpaces(const std::string &piece) {
  static const std::string mark = "\xE2\x96\x81";
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, mark.size(), mark) == 0) {
      out += ' ';
      i += mark.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

enum TokenType { Control = 3, UserDefined = 4 };

} // namespace

Status loadTokenizer(const Metadata &md, std::unique_ptr<Tokenizer> &out) {
  std::string model, preName = "gpt2";
  std::vector<std::string> pieces;
  if (Status s = md.string("tokenizer.ggml.model", model); !s)
    return s;
  if (Status s = md.strings("tokenizer.ggml.tokens", pieces); !s)
    return s;
  int64_t bos, eos;
  if (Status s = md.integer("tokenizer.ggml.bos_token_id", bos, -1); !s)
    return s;
  if (Status s = md.integer("tokenizer.ggml.eos_token_id", eos, -1); !s)
    return s;
  std::vector<double> types;
  if (md.has("tokenizer.ggml.token_type"))
    if (Status s = md.numbers("tokenizer.ggml.token_type", types); !s)
      return s;
  auto tok = std::make_unique<Tokenizer>();
  bool addBos;
  if (model == "llama") {
    std::vector<double> raw;
    if (Status s = md.numbers("tokenizer.ggml.scores", raw); !s)
      return s;
    bool prefix;
    if (Status s = md.boolean("tokenizer.ggml.add_space_prefix", prefix, true); !s)
      return s;
    for (std::string &p : pieces)
      p = unmarkSpaces(p);
    std::vector<float> scores(raw.begin(), raw.end());
    if (Status s = Tokenizer::sentencePiece(std::move(pieces), std::move(scores),
                                            int32_t(bos), int32_t(eos), prefix,
                                            *tok);
        !s)
      return s;
    addBos = true;
  } else if (model == "gpt2") {
    std::vector<std::string> merges;
    if (Status s = md.strings("tokenizer.ggml.merges", merges); !s)
      return s;
    if (md.has("tokenizer.ggml.pre"))
      if (Status s = md.string("tokenizer.ggml.pre", preName); !s)
        return s;
    PreTokenizer pre;
    if (!parsePreTokenizer(preName, pre))
      return Status::error("pre-tokenizer '" + preName +
                           "' is not supported (gpt2, llama-bpe, qwen2, "
                           "smollm are)");
    if (Status s = Tokenizer::byteBPE(std::move(pieces), merges, pre,
                                      int32_t(bos), int32_t(eos), *tok);
        !s)
      return s;
    // GGUF records no normalizer; Qwen2's tokenizer.json declares NFC.
    if (pre == PreTokenizer::Qwen2)
      tok->setNormalizer(Tokenizer::Normalizer::NFC);
    addBos = false;
  } else {
    return Status::error("tokenizer model '" + model +
                         "' is not supported (llama and gpt2 are)");
  }
  if (Status s = md.boolean("tokenizer.ggml.add_bos_token", addBos, addBos); !s)
    return s;
  tok->setAddBos(addBos);
  std::vector<int32_t> special;
  for (size_t i = 0; i < types.size(); ++i)
    if (int(types[i]) == Control || int(types[i]) == UserDefined)
      special.push_back(int32_t(i));
  tok->setSpecial(special);
  out = std::move(tok);
  return Status::success();
}

} // namespace itq3::model::gguf
