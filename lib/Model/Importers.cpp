//===- Importers.cpp - Choosing an importer by file content ---------------===//

#include "itq3/Model/Importers.h"
#include "ByteReader.h"

namespace itq3::model {

Status loadModel(const std::string &path, Model &out,
                 std::unique_ptr<Tokenizer> *tokenizer, bool lazy) {
  MappedFile file;
  if (Status s = file.open(path); !s)
    return s;
  // llama2.c files have no magic; everything that is neither GGUF nor
  // safetensors is tried as one, and its header checks produce the error
  // for a foreign file.
  if (file.size() >= 4 && std::memcmp(file.data(), "GGUF", 4) == 0)
    return loadGGUF(path, out, tokenizer, lazy);
  static const std::string ext = ".safetensors";
  if (path.size() > ext.size() &&
      path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
    return loadSafeTensors(path, out, tokenizer);
  return loadLlama2c(path, out);
}

} // namespace itq3::model
