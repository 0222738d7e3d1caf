//===- ModelSeeds.cpp - Write the model fuzzer's seed corpus --------------===//
//
//   itq3-model-seeds DIR    writes one valid file per parser into DIR, each
//                           behind the byte that selects its parser
//
//===----------------------------------------------------------------------===//
#include "GGUFWriter.h"
#include "TestVocab.h"
#include "itq3/Model/Tokenizer.h"

#include <cstdio>

using namespace itq3::model;
using namespace itq3::model::test;

namespace {

// The parser numbers of ModelFuzzer.cpp.
enum : uint8_t { GGUF = 0, TokenizerJson = 2, Llama2cTokenizer = 3,
                 SerializedTokenizer = 4 };

bool save(const std::string &dir, const char *name, uint8_t parser,
          const std::vector<uint8_t> &bytes) {
  FILE *f = std::fopen((dir + "/" + name).c_str(), "wb");
  if (!f) {
    std::fprintf(stderr, "itq3-model-seeds: cannot write %s/%s\n", dir.c_str(),
                 name);
    return false;
  }
  std::fputc(parser, f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  return std::fclose(f) == 0;
}

std::vector<uint8_t> ggufWithTokenizer() {
  GGUFWriter w = modelWriter(tinyModel());
  w.str("tokenizer.ggml.model", "gpt2");
  w.str("tokenizer.ggml.pre", "qwen2");
  w.strings("tokenizer.ggml.tokens", {"a", "b", "\xC4\xA0", "ab", "\xC4\xA0" "ab",
                                      "<|im_start|>", "1", "2", "c", "d"});
  w.strings("tokenizer.ggml.merges", {"a b", "\xC4\xA0 ab"});
  w.numbers<int32_t>("tokenizer.ggml.token_type", I32,
                     {1, 1, 1, 1, 1, 3, 1, 1, 1, 1});
  w.u32("tokenizer.ggml.bos_token_id", 5);
  return w.build().data;
}

std::vector<uint8_t> text(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: itq3-model-seeds DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  BpeVocab bpe;
  Tokenizer t;
  if (!Tokenizer::byteBPE(bpe.pieces, bpe.merges, PreTokenizer::Qwen2, -1, 1, t))
    return 1;
  t.setNormalizer(Tokenizer::Normalizer::NFC);
  bool ok = save(dir, "gguf", GGUF, ggufWithTokenizer());
  ok &= save(dir, "tokenizer.json", TokenizerJson, text(R"({
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Digits", "individual_digits": true},
      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]},
    "added_tokens": [{"id": 5, "content": "<|im_start|>", "special": true}],
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "\u0120": 2, "ab": 3,
      "\u0120ab": 4}, "merges": ["a b", ["\u0120", "ab"]]}})"));
  ok &= save(dir, "tokenizer.bin", Llama2cTokenizer, SpmVocab().file().data);
  ok &= save(dir, "serialized", SerializedTokenizer, serializeTokenizer(t));
  return ok ? 0 : 1;
}
