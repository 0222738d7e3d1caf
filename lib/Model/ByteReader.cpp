//===- ByteReader.cpp - Bounds-checked reading of model files -------------===//

#include "ByteReader.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace itq3::model {

MappedFile::~MappedFile() {
  if (data_ && size_)
    munmap(const_cast<uint8_t *>(data_), size_);
}

Status MappedFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return Status::error(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + ": not a regular file");
  }
  size_ = size_t(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    return Status::success(); // empty: the importer reports what is missing
  }
  void *p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    size_ = 0;
    return Status::error(path + ": cannot map: " + std::strerror(errno));
  }
  data_ = static_cast<const uint8_t *>(p);
  return Status::success();
}

Status ByteReader::error(const std::string &what) const {
  return Status::error(file_ + ": at offset " + std::to_string(pos_) + ": " +
                       what);
}

Status ByteReader::need(uint64_t n, const char *what) const {
  if (n > remaining())
    return error(std::string("truncated: ") + what + " needs " +
                 std::to_string(n) + " bytes, only " +
                 std::to_string(remaining()) + " left");
  return Status::success();
}

Status ByteReader::seek(uint64_t offset, const char *what) {
  if (offset > size_)
    return error(std::string(what) + " offset " + std::to_string(offset) +
                 " is past the end of the file (" + std::to_string(size_) +
                 " bytes)");
  pos_ = size_t(offset);
  return Status::success();
}

Status ByteReader::skip(uint64_t n, const char *what) {
  if (Status s = need(n, what); !s)
    return s;
  pos_ += size_t(n);
  return Status::success();
}

Status ByteReader::bytes(uint64_t n, const uint8_t *&out, const char *what) {
  if (Status s = need(n, what); !s)
    return s;
  out = data_ + pos_;
  pos_ += size_t(n);
  return Status::success();
}

Status ByteReader::stringU64(std::string &out, const char *what) {
  uint64_t n;
  if (Status s = read(n, what); !s)
    return s;
  const uint8_t *p;
  if (Status s = bytes(n, p, what); !s)
    return s;
  out.assign(reinterpret_cast<const char *>(p), size_t(n));
  return Status::success();
}

bool mulChecked(int64_t a, int64_t b, int64_t &out) {
  if (a < 0 || b < 0)
    return false;
  return !__builtin_mul_overflow(a, b, &out);
}

} // namespace itq3::model
