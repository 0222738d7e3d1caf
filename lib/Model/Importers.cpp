//===- Importers.cpp - Choosing an importer by file content ---------------===//

#include "itq3/Model/Importers.h"
#include "ByteReader.h"

namespace itq3::model {

Status loadModel(const std::string &path, Model &out,
                 std::unique_ptr<Tokenizer> *tokenizer) {
  MappedFile file;
  if (Status s = file.open(path); !s)
    return s;
  // llama2.c files have no magic; everything that is not GGUF is tried as
  // one, and its header checks produce the error for a foreign file.
  if (file.size() >= 4 && std::memcmp(file.data(), "GGUF", 4) == 0)
    return loadGGUF(path, out, tokenizer);
  return loadLlama2c(path, out);
}

} // namespace itq3::model
