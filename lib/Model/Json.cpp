//===- Json.cpp - A small JSON reader for safetensors and config.json -----===//

#include "Json.h"
#include "Utf8.h"

#include <cstdlib>

namespace itq3::model::json {

const Value *Value::get(const std::string &key) const {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

namespace {

class Parser {
public:
  explicit Parser(const std::string &s) : s_(s) {}

  Status document(Value &out) {
    if (Status st = value(out, 0); !st)
      return st;
    skipSpace();
    if (pos_ != s_.size())
      return fail("trailing characters");
    return Status::success();
  }

private:
  Status fail(const std::string &what) const {
    return Status::error("JSON: " + what + " at character " +
                         std::to_string(pos_));
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r' || s_[pos_] == '\t'))
      ++pos_;
  }
  bool literal(const char *word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0)
      return false;
    pos_ += n;
    return true;
  }

  Status value(Value &out, int depth) {
    if (depth > 64)
      return fail("nesting too deep");
    skipSpace();
    if (pos_ >= s_.size())
      return fail("unexpected end");
    char c = s_[pos_];
    if (c == '{')
      return object(out, depth);
    if (c == '[')
      return array(out, depth);
    if (c == '"') {
      out.kind = Value::Kind::String;
      return string(out.string);
    }
    if (literal("true") || literal("false")) {
      out.kind = Value::Kind::Bool;
      out.boolean = c == 't';
      return Status::success();
    }
    if (literal("null")) {
      out.kind = Value::Kind::Null;
      return Status::success();
    }
    return number(out);
  }

  Status number(Value &out) {
    const char *begin = s_.c_str() + pos_;
    char *end;
    out.number = std::strtod(begin, &end);
    if (end == begin)
      return fail("unexpected character");
    pos_ += size_t(end - begin);
    out.kind = Value::Kind::Number;
    return Status::success();
  }

  Status string(std::string &out) {
    ++pos_; // opening quote
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size())
        break;
      char e = s_[pos_++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        if (pos_ + 4 > s_.size())
          return fail("short \\u escape");
        uint32_t cp = uint32_t(std::strtoul(s_.substr(pos_, 4).c_str(), nullptr, 16));
        pos_ += 4;
        utf8::append(out, cp); // surrogate pairs are not needed for names
        break;
      }
      default: out += e;
      }
    }
    if (pos_ >= s_.size())
      return fail("unterminated string");
    ++pos_;
    return Status::success();
  }

  Status array(Value &out, int depth) {
    out.kind = Value::Kind::Array;
    ++pos_;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Status::success();
    }
    for (;;) {
      out.array.emplace_back();
      if (Status st = value(out.array.back(), depth + 1); !st)
        return st;
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Status::success();
      }
      return fail("expected ',' or ']'");
    }
  }

  Status object(Value &out, int depth) {
    out.kind = Value::Kind::Object;
    ++pos_;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Status::success();
    }
    for (;;) {
      skipSpace();
      std::string key;
      if (pos_ >= s_.size() || s_[pos_] != '"')
        return fail("expected a key");
      if (Status st = string(key); !st)
        return st;
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_++] != ':')
        return fail("expected ':'");
      if (Status st = value(out.object[key], depth + 1); !st)
        return st;
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Status::success();
      }
      return fail("expected ',' or '}'");
    }
  }

  const std::string &s_;
  size_t pos_ = 0;
};

} // namespace

Status parse(const std::string &text, Value &out) {
  out = Value();
  return Parser(text).document(out);
}

} // namespace itq3::model::json
