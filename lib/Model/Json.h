//===- Json.h - A small JSON reader for safetensors and config.json -*- C++ -*-===//
#ifndef ITQ3_LIB_MODEL_JSON_H
#define ITQ3_LIB_MODEL_JSON_H

#include "itq3/Format/Status.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itq3::model::json {

using format::Status;

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  std::map<std::string, Value> object;

  const Value *get(const std::string &key) const;
  bool isNumber() const { return kind == Kind::Number; }
  bool isString() const { return kind == Kind::String; }
};

/// Parses a whole document; nesting deeper than 64 levels is refused so a
/// hostile file cannot exhaust the stack.
Status parse(const std::string &text, Value &out);

} // namespace itq3::model::json

#endif // ITQ3_LIB_MODEL_JSON_H
