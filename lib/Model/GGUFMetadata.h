//===- GGUFMetadata.h - The key/value header of a GGUF file -----*- C++ -*-===//
#ifndef ITQ3_LIB_MODEL_GGUFMETADATA_H
#define ITQ3_LIB_MODEL_GGUFMETADATA_H

#include "ByteReader.h"
#include "itq3/Model/Tokenizer.h"

#include <memory>

#include <map>
#include <string>
#include <vector>

namespace itq3::model::gguf {

/// One metadata value. Scalars of every width are widened; arrays keep
/// either strings or numbers (arrays of arrays are refused).
struct Value {
  enum class Kind { Number, Bool, String, Array } kind = Kind::Number;
  double number = 0;
  bool boolean = false;
  std::string string;
  std::vector<std::string> strings; // string arrays
  std::vector<double> numbers;      // numeric arrays
  bool stringArray = false;
};

class Metadata {
public:
  Status read(ByteReader &r, uint64_t count);

  bool has(const std::string &key) const { return values_.count(key) != 0; }
  /// Typed look-ups: an error names the key when it is missing (and no
  /// default is given) or has the wrong kind.
  Status integer(const std::string &key, int64_t &out) const;
  Status integer(const std::string &key, int64_t &out, int64_t dflt) const;
  Status real(const std::string &key, double &out, double dflt) const;
  Status boolean(const std::string &key, bool &out, bool dflt) const;
  Status string(const std::string &key, std::string &out) const;
  Status strings(const std::string &key, std::vector<std::string> &out) const;
  Status numbers(const std::string &key, std::vector<double> &out) const;

private:
  std::map<std::string, Value> values_;
};

/// Builds the tokenizer a GGUF file embeds (tokenizer.ggml.*).
Status loadTokenizer(const Metadata &md, std::unique_ptr<Tokenizer> &out);

} // namespace itq3::model::gguf

#endif // ITQ3_LIB_MODEL_GGUFMETADATA_H
