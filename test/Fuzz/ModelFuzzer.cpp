//===- ModelFuzzer.cpp - libFuzzer target for the model-file parsers ------===//
//
// Every importer of untrusted files must refuse bad input with a message and
// never crash or read out of bounds. The first byte picks the parser, the
// rest is the file: GGUF (model and tokenizer), safetensors (beside a fixed
// config.json), Hugging Face tokenizer.json, llama2.c tokenizer.bin, and the
// serialized tokenizer a bundle carries. A tokenizer that loads encodes and
// decodes a fixed text, so its tables are exercised too.
//
//===----------------------------------------------------------------------===//
#include "itq3/Model/Importers.h"
#include "itq3/Model/Tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

using namespace itq3::model;

namespace {

enum Parser : uint8_t { GGUF, SafeTensors, TokenizerJson, Llama2cTokenizer,
                        SerializedTokenizer, ParserCount };

/// A directory for the files, with a config.json the safetensors importer
/// reads beside its file (dim 8, two layers, vocabulary 10).
const std::string &workDir() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/itq3-model-fuzz-XXXXXX";
    if (!mkdtemp(pattern))
      std::abort();
    std::string d = pattern;
    FILE *f = std::fopen((d + "/config.json").c_str(), "w");
    std::fputs("{\"model_type\": \"llama\", \"hidden_size\": 8, "
               "\"intermediate_size\": 12, \"num_hidden_layers\": 2, "
               "\"num_attention_heads\": 2, \"num_key_value_heads\": 1, "
               "\"vocab_size\": 10, \"max_position_embeddings\": 32}",
               f);
    std::fclose(f);
    return d;
  }();
  return dir;
}

std::string writeFile(const char *name, const uint8_t *data, size_t size) {
  std::string path = workDir() + "/" + name;
  FILE *f = std::fopen(path.c_str(), "wb");
  if (size)
    std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

void exercise(const Tokenizer &t) {
  std::vector<int32_t> ids =
      t.encode("Hello world's 1234 caf\xC3\xA9 <|im_start|>\n\n x", true, true);
  for (int32_t id : ids)
    if (id < 0 || id >= t.size())
      __builtin_trap(); // an id outside the vocabulary
  (void)t.decode(ids);
}

void refusedWithReason(const itq3::format::Status &s) {
  if (!s.ok() && s.message().empty())
    __builtin_trap(); // every refusal must say why
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  Parser which = Parser(data[0] % ParserCount);
  const uint8_t *file = data + 1;
  size_t n = size - 1;
  Model m;
  std::unique_ptr<Tokenizer> tok;
  Tokenizer t;
  itq3::format::Status s = itq3::format::Status::success();
  switch (which) {
  case GGUF:
    s = loadGGUF(writeFile("model.gguf", file, n), m, &tok);
    break;
  case SafeTensors:
    s = loadSafeTensors(writeFile("model.safetensors", file, n), m);
    break;
  case TokenizerJson:
    s = loadHFTokenizer(writeFile("tokenizer.json", file, n), 0, t);
    break;
  case Llama2cTokenizer:
    s = loadLlama2cTokenizer(writeFile("tokenizer.bin", file, n), 64, t);
    break;
  case SerializedTokenizer:
  case ParserCount:
    s = deserializeTokenizer(file, n, t);
    break;
  }
  refusedWithReason(s);
  if (s.ok() && tok)
    exercise(*tok);
  else if (s.ok() && which != GGUF && which != SafeTensors)
    exercise(t);
  return 0;
}
