//===- ByteReader.h - Bounds-checked reading of model files -----*- C++ -*-===//
//
// Every importer reads untrusted files. All reads go through ByteReader, which
// checks each length, count and offset against the bytes that are really
// there before touching memory or allocating, and names the file and the
// field in every error.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_LIB_MODEL_BYTEREADER_H
#define ITQ3_LIB_MODEL_BYTEREADER_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace itq3::model {

using format::Status;

/// A read-only memory map of a whole file (the file may be large: GGUF
/// weights are decoded straight from the mapping, never copied first).
class MappedFile {
public:
  MappedFile() = default;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  Status open(const std::string &path);
  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

class ByteReader {
public:
  ByteReader(const uint8_t *data, size_t size, std::string file)
      : data_(data), size_(size), file_(std::move(file)) {}

  size_t offset() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  const std::string &file() const { return file_; }

  /// An error naming the file and the current offset.
  Status error(const std::string &what) const;
  /// Fails unless n more bytes are available for `what`.
  Status need(uint64_t n, const char *what) const;
  Status seek(uint64_t offset, const char *what);
  Status skip(uint64_t n, const char *what);

  /// Reads a little-endian scalar (every format we read is little-endian,
  /// and so is every host we build for).
  template <typename T> Status read(T &value, const char *what) {
    if (Status s = need(sizeof(T), what); !s)
      return s;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::success();
  }
  /// Returns a view of the next n bytes and moves past them.
  Status bytes(uint64_t n, const uint8_t *&out, const char *what);
  /// A string stored as a u64 length followed by its bytes (GGUF).
  Status stringU64(std::string &out, const char *what);

private:
  const uint8_t *data_;
  size_t size_;
  size_t pos_ = 0;
  std::string file_;
};

/// a * b, or false when it overflows int64 or either is negative.
bool mulChecked(int64_t a, int64_t b, int64_t &out);

} // namespace itq3::model

#endif // ITQ3_LIB_MODEL_BYTEREADER_H
