//===- GGUFMetadata.cpp - The key/value header of a GGUF file -------------===//

#include "GGUFMetadata.h"

#include <cmath>

namespace itq3::model::gguf {

namespace {

enum : uint32_t {
  U8 = 0, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64
};

/// Bytes one scalar of `type` takes (strings: at least their length field).
uint64_t minSize(uint32_t type) {
  switch (type) {
  case U8: case I8: case BOOL: return 1;
  case U16: case I16: return 2;
  case U32: case I32: case F32: return 4;
  default: return 8;
  }
}

template <typename T> Status number(ByteReader &r, double &out) {
  T v;
  if (Status s = r.read(v, "metadata value"); !s)
    return s;
  out = double(v);
  return Status::success();
}

Status scalar(ByteReader &r, uint32_t type, double &out) {
  switch (type) {
  case U8: return number<uint8_t>(r, out);
  case I8: return number<int8_t>(r, out);
  case U16: return number<uint16_t>(r, out);
  case I16: return number<int16_t>(r, out);
  case U32: return number<uint32_t>(r, out);
  case I32: return number<int32_t>(r, out);
  case F32: return number<float>(r, out);
  case BOOL: return number<uint8_t>(r, out);
  case U64: return number<uint64_t>(r, out);
  case I64: return number<int64_t>(r, out);
  case F64: return number<double>(r, out);
  default:
    return r.error("unknown metadata value type " + std::to_string(type));
  }
}

Status array(ByteReader &r, Value &v) {
  uint32_t type;
  uint64_t count;
  if (Status s = r.read(type, "array type"); !s)
    return s;
  if (Status s = r.read(count, "array length"); !s)
    return s;
  if (type == ARRAY)
    return r.error("arrays of arrays are not supported");
  // Bounded by what the file can hold before anything is reserved.
  if (type > F64 || count > r.remaining() / minSize(type))
    return r.error("array of " + std::to_string(count) +
                   " elements of type " + std::to_string(type) +
                   " does not fit in the file");
  v.kind = Value::Kind::Array;
  v.stringArray = type == STRING;
  if (v.stringArray) {
    v.strings.resize(size_t(count));
    for (std::string &s : v.strings)
      if (Status st = r.stringU64(s, "array string"); !st)
        return st;
    return Status::success();
  }
  v.numbers.resize(size_t(count));
  for (double &d : v.numbers)
    if (Status s = scalar(r, type, d); !s)
      return s;
  return Status::success();
}

} // namespace

Status Metadata::read(ByteReader &r, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    std::string key;
    uint32_t type;
    if (Status s = r.stringU64(key, "metadata key"); !s)
      return s;
    if (Status s = r.read(type, "metadata type"); !s)
      return s;
    Value v;
    Status s = Status::success();
    if (type == STRING) {
      v.kind = Value::Kind::String;
      s = r.stringU64(v.string, "metadata string");
    } else if (type == ARRAY) {
      s = array(r, v);
    } else {
      v.kind = type == BOOL ? Value::Kind::Bool : Value::Kind::Number;
      s = scalar(r, type, v.number);
      v.boolean = v.number != 0;
    }
    if (!s)
      return Status::error(s.message() + " (key '" + key + "')");
    values_[key] = std::move(v);
  }
  return Status::success();
}

Status Metadata::integer(const std::string &key, int64_t &out) const {
  auto it = values_.find(key);
  if (it == values_.end())
    return Status::error("missing metadata key '" + key + "'");
  const Value &v = it->second;
  if (v.kind != Value::Kind::Number || v.number != std::floor(v.number) ||
      std::fabs(v.number) > 9e15)
    return Status::error("metadata key '" + key + "' is not an integer");
  out = int64_t(v.number);
  return Status::success();
}

Status Metadata::integer(const std::string &key, int64_t &out,
                         int64_t dflt) const {
  if (!has(key)) {
    out = dflt;
    return Status::success();
  }
  return integer(key, out);
}

Status Metadata::real(const std::string &key, double &out, double dflt) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    out = dflt;
    return Status::success();
  }
  if (it->second.kind != Value::Kind::Number)
    return Status::error("metadata key '" + key + "' is not a number");
  out = it->second.number;
  return Status::success();
}

Status Metadata::boolean(const std::string &key, bool &out, bool dflt) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    out = dflt;
    return Status::success();
  }
  if (it->second.kind != Value::Kind::Bool)
    return Status::error("metadata key '" + key + "' is not a bool");
  out = it->second.boolean;
  return Status::success();
}

Status Metadata::string(const std::string &key, std::string &out) const {
  auto it = values_.find(key);
  if (it == values_.end())
    return Status::error("missing metadata key '" + key + "'");
  if (it->second.kind != Value::Kind::String)
    return Status::error("metadata key '" + key + "' is not a string");
  out = it->second.string;
  return Status::success();
}

Status Metadata::strings(const std::string &key,
                         std::vector<std::string> &out) const {
  auto it = values_.find(key);
  if (it == values_.end())
    return Status::error("missing metadata key '" + key + "'");
  if (it->second.kind != Value::Kind::Array || !it->second.stringArray)
    return Status::error("metadata key '" + key + "' is not a string array");
  out = it->second.strings;
  return Status::success();
}

Status Metadata::numbers(const std::string &key,
                         std::vector<double> &out) const {
  auto it = values_.find(key);
  if (it == values_.end())
    return Status::error("missing metadata key '" + key + "'");
  if (it->second.kind != Value::Kind::Array || it->second.stringArray)
    return Status::error("metadata key '" + key + "' is not a numeric array");
  out = it->second.numbers;
  return Status::success();
}

} // namespace itq3::model::gguf
