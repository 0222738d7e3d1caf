//===- ByteIO.h - Little-endian fixed-width encoding, bounds-checked -------===//
//
// The bundle is read from untrusted bytes, so every read goes through
// ByteReader, which never moves past its end: a short read sets a sticky
// error and returns zeros, and the caller checks ok() once per record.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_BYTEIO_H
#define ITQ3_RUNTIME_BYTEIO_H

#include <cstdint>
#include <string>
#include <vector>

namespace itq3::rt {

inline uint64_t loadLE(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

inline void storeLE(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8)
    p[i] = uint8_t(v);
}

class ByteWriter {
public:
  std::vector<uint8_t> bytes;
  void u8(uint8_t v) { bytes.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void i64(int64_t v) { put(uint64_t(v), 8); }
  /// u32 length, then the bytes (no terminator).
  void str(const std::string &s) {
    u32(uint32_t(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }

private:
  void put(uint64_t v, int n) {
    size_t at = bytes.size();
    bytes.resize(at + n);
    storeLE(bytes.data() + at, v, n);
  }
};

class ByteReader {
public:
  /// `what` names the region in messages ("the tensor table").
  ByteReader(const uint8_t *data, uint64_t size, std::string what)
      : p_(data), left_(size), what_(std::move(what)) {}

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  uint64_t remaining() const { return left_; }
  /// Records the first failure only: later reads are no-ops.
  void fail(const std::string &why) {
    if (error_.empty())
      error_ = what_ + ": " + why;
  }

  uint8_t u8() { return uint8_t(get(1)); }
  uint16_t u16() { return uint16_t(get(2)); }
  uint32_t u32() { return uint32_t(get(4)); }
  uint64_t u64() { return get(8); }
  int64_t i64() { return int64_t(get(8)); }

  std::string str(uint32_t maxLength) {
    uint32_t n = u32();
    if (!ok())
      return {};
    if (n > maxLength) {
      fail("a string of " + std::to_string(n) + " bytes exceeds the limit of " +
           std::to_string(maxLength));
      return {};
    }
    if (n > left_) {
      fail("a string of " + std::to_string(n) + " bytes runs past the end (" +
           std::to_string(left_) + " bytes left)");
      return {};
    }
    std::string s(reinterpret_cast<const char *>(p_), n);
    advance(n);
    return s;
  }

  /// A pointer to the next `n` bytes, or null (and an error) if fewer remain.
  const uint8_t *take(uint64_t n) {
    if (!ok())
      return nullptr;
    if (n > left_) {
      fail("a blob of " + std::to_string(n) + " bytes runs past the end (" +
           std::to_string(left_) + " bytes left)");
      return nullptr;
    }
    const uint8_t *at = p_;
    advance(n);
    return at;
  }

private:
  uint64_t get(int n) {
    if (!ok())
      return 0;
    if (uint64_t(n) > left_) {
      fail("truncated: a " + std::to_string(n) + "-byte field runs past the end");
      return 0;
    }
    uint64_t v = loadLE(p_, n);
    advance(n);
    return v;
  }
  void advance(uint64_t n) {
    p_ += n;
    left_ -= n;
  }

  const uint8_t *p_;
  uint64_t left_;
  std::string what_;
  std::string error_;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_BYTEIO_H
