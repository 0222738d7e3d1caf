//===- SharedObjectTest.cpp - Loading ELF shared objects from memory ------===//
//
// No compiler runs at test time, so the object loaded for real is the
// system's libm, read from disk into memory; the refusals use its header
// with single fields changed.
//
//===----------------------------------------------------------------------===//
#include "itq3/Runtime/SharedObject.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <elf.h>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using itq3::rt::SharedObject;
using itq3::rt::Status;

namespace {

/// The bytes of the libm this process uses, or empty with `why` set.
std::vector<uint8_t> libmBytes(std::string &why) {
  void *cosAddress = dlsym(RTLD_DEFAULT, "cos");
  Dl_info info;
  if (!cosAddress || !dladdr(cosAddress, &info) || !info.dli_fname) {
    why = "cannot find the shared object that defines cos";
    return {};
  }
  std::ifstream in(info.dli_fname, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.empty())
    why = std::string("cannot read ") + info.dli_fname;
  return bytes;
}

std::string loadError(const std::vector<uint8_t> &bytes) {
  std::unique_ptr<SharedObject> so;
  Status s = SharedObject::load(bytes.data(), bytes.size(), so);
  EXPECT_EQ(s.ok(), so != nullptr);
  return s.ok() ? "" : s.message();
}

TEST(SharedObjectTest, RefusesNonElfBytes) {
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r'};
  EXPECT_NE(loadError(text).find("not an ELF file"), std::string::npos);
  EXPECT_NE(loadError({}).find("not an ELF file"), std::string::npos);
  std::vector<uint8_t> magicOnly = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  EXPECT_NE(loadError(magicOnly).find("truncated"), std::string::npos);
}

class LibmTest : public ::testing::Test {
protected:
  void SetUp() override {
    bytes = libmBytes(why);
    if (bytes.empty())
      GTEST_SKIP() << "no libm to load: " << why;
  }
  std::vector<uint8_t> bytes;
  std::string why;
};

TEST_F(LibmTest, LoadsFromMemoryAndFindsSymbols) {
  std::unique_ptr<SharedObject> so;
  Status s = SharedObject::load(bytes.data(), bytes.size(), so);
  ASSERT_TRUE(s.ok()) << s.message();
  auto fn = reinterpret_cast<double (*)(double)>(so->symbol("cos"));
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn(0.0), 1.0);
  EXPECT_EQ(so->symbol("no_such_symbol_itq3"), nullptr);
}

TEST_F(LibmTest, RefusesTruncatedHeaders) {
  std::vector<uint8_t> head(bytes.begin(), bytes.begin() + 40);
  EXPECT_NE(loadError(head).find("less than the 64-byte ELF header"),
            std::string::npos);
  std::vector<uint8_t> noPhdrs(bytes.begin(), bytes.begin() + 64);
  EXPECT_NE(loadError(noPhdrs).find("program headers run past the end"),
            std::string::npos);
  // Headers present, segments cut off: dlopen would map past the end and
  // fault, so the loader refuses first.
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 4096);
  EXPECT_NE(loadError(cut).find("runs past the end of the 4096-byte object"),
            std::string::npos);
  for (size_t n = 64; n < bytes.size(); n += bytes.size() / 64) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + n);
    EXPECT_NE(loadError(part).find("truncated"), std::string::npos) << n;
  }
}

TEST_F(LibmTest, PassesDlopenErrorsThrough) {
  // A header that passes the checks but lists no segments: dlopen's own
  // message comes through.
  std::vector<uint8_t> b = bytes;
  b[offsetof(Elf64_Ehdr, e_phnum)] = 0;
  b[offsetof(Elf64_Ehdr, e_phnum) + 1] = 0;
  std::string msg = loadError(b);
  EXPECT_NE(msg.find("cannot load the CPU code: "), std::string::npos) << msg;
}

TEST_F(LibmTest, RefusesForeignObjects) {
  auto edited = [&](size_t at, std::vector<uint8_t> value) {
    std::vector<uint8_t> b = bytes;
    std::copy(value.begin(), value.end(), b.begin() + at);
    return loadError(b);
  };
  EXPECT_NE(edited(EI_CLASS, {ELFCLASS32}).find("not a 64-bit ELF"),
            std::string::npos);
  EXPECT_NE(edited(EI_DATA, {ELFDATA2MSB}).find("not little-endian"),
            std::string::npos);
  EXPECT_NE(edited(offsetof(Elf64_Ehdr, e_type), {ET_EXEC, 0})
                .find("not a shared object (ET_DYN)"),
            std::string::npos);
  std::string msg = edited(offsetof(Elf64_Ehdr, e_machine), {EM_RISCV, 0});
  EXPECT_NE(msg.find("for ELF machine 243, this host is"), std::string::npos)
      << msg;
}

} // namespace
