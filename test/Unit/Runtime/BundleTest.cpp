//===- BundleTest.cpp - Bundle round trip and every way a file is refused -===//
//
// Bad bundles are parsed from heap copies of exactly their size, so a
// sanitizer or valgrind run catches any read past the end.
//
//===----------------------------------------------------------------------===//
#include "SampleBundle.h"

#include "itq3/Runtime/Bundle.h"
#include "itq3/Runtime/Checksum.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <unistd.h>

using namespace itq3;
using rt::Bundle;

namespace {

// Offsets from docs/bundle.md, repeated here on purpose: the test pins the
// documented layout.
constexpr size_t kHeaderSize = 160, kOffCounts = 24, kOffRegions = 40,
                 kOffChecksum = 152;
enum Region { Meta, Tensors, Functions, Plan, Code, Data };

uint64_t load(const std::vector<uint8_t> &b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | b[at + i];
  return v;
}
void store(std::vector<uint8_t> &b, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i, v >>= 8)
    b[at + i] = uint8_t(v);
}
uint64_t regionOffset(const std::vector<uint8_t> &b, int r) {
  return load(b, kOffRegions + 16 * r, 8);
}
uint64_t regionSize(const std::vector<uint8_t> &b, int r) {
  return load(b, kOffRegions + 16 * r + 8, 8);
}

/// Recomputes the header checksum after a test edits the header or tables,
/// so the edit reaches the check it targets.
void reseal(std::vector<uint8_t> &b) {
  uint64_t h = rt::checksum64(b.data(), kOffChecksum);
  uint64_t tablesEnd = regionOffset(b, Data);
  h = rt::checksum64(b.data() + kHeaderSize, tablesEnd - kHeaderSize, h);
  store(b, kOffChecksum, h, 8);
}

/// Parses an exact-size heap copy; returns the error message ("" if it
/// parsed).
std::string parseError(const std::vector<uint8_t> &bytes, size_t size) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
  if (size)
    std::memcpy(copy.get(), bytes.data(), size);
  std::unique_ptr<Bundle> b;
  rt::Status s = Bundle::parse(size ? copy.get() : nullptr, size, b);
  EXPECT_EQ(s.ok(), b != nullptr);
  return s.ok() ? "" : s.message();
}
std::string parseError(const std::vector<uint8_t> &bytes) {
  return parseError(bytes, bytes.size());
}

/// Replaces the one occurrence of `from` in [begin, end) (same length).
void replaceIn(std::vector<uint8_t> &b, uint64_t begin, uint64_t end,
               const std::string &from, const std::string &to) {
  ASSERT_EQ(from.size(), to.size());
  auto it = std::search(b.begin() + begin, b.begin() + end, from.begin(),
                        from.end());
  ASSERT_NE(it, b.begin() + end) << from;
  std::copy(to.begin(), to.end(), it);
}

std::string tempPath(const char *name) {
  return "/tmp/itq3-bundle-test-" + std::to_string(getpid()) + "-" + name;
}

//===-- Round trip --------------------------------------------------------===//

void expectSample(const Bundle &b, const uint8_t *base) {
  const rt::BundleMeta &m = b.meta();
  EXPECT_EQ(m.compilerVersion, rt::compilerVersion());
  EXPECT_EQ(m.maxContext, 256);
  EXPECT_EQ(m.prefillChunk, 32);
  EXPECT_EQ(m.tensorParallelDegree, 2);
  EXPECT_EQ(m.tensorParallelRank, 1);
  rt::BundleWriter ref;
  test::fillSampleBundle(ref);
  EXPECT_EQ(m.config, ref.meta.config);
  EXPECT_EQ(m.tokenizer, test::pattern(100, 5));

  ASSERT_EQ(b.tensors().size(), 4u);
  const char *names[] = {"tok_embeddings.weight", "blk.0.wq", "blk.1.wq",
                         "output.weight"};
  size_t sizes[] = {512, 64, 64, 100};
  for (int i = 0; i < 4; ++i) {
    const rt::TensorInfo &t = b.tensors()[i];
    EXPECT_EQ(t.name, names[i]);
    EXPECT_EQ(t.size, sizes[i]);
    EXPECT_EQ(t.offset % 64, 0u);
    EXPECT_EQ(t.data, base + t.offset);
    EXPECT_EQ(std::vector<uint8_t>(t.data, t.data + t.size),
              test::pattern(sizes[i], uint8_t(i + 1)));
    EXPECT_EQ(t.checksum, rt::checksum64(t.data, t.size));
    EXPECT_EQ(b.findTensor(names[i]), &t);
  }
  const rt::TensorInfo *wq0 = b.findTensor("blk.0.wq");
  EXPECT_EQ(wq0->shape, (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(wq0->format, "q8");
  EXPECT_EQ(wq0->rotation, "weight");
  EXPECT_EQ(wq0->layout, "rows");
  EXPECT_EQ(wq0->signSeed, 0x123456789abcdef0ull);
  EXPECT_EQ(b.findTensor("nope"), nullptr);

  ASSERT_EQ(b.functions().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const rt::FunctionInfo &got = b.functions()[i];
    const char *expectName = i == 0 ? "embed" : "layer";
    EXPECT_EQ(got.name, expectName);
    EXPECT_EQ(b.findFunction(expectName), &got);
  }
  const rt::FunctionInfo *layer = b.findFunction("layer");
  EXPECT_EQ(layer->target, "sm_80");
  EXPECT_EQ(layer->entry, "itq3_layer_kernel");
  EXPECT_EQ(layer->grid[0], 4u);
  EXPECT_EQ(layer->grid[1], 1u);
  EXPECT_EQ(layer->block[0], 128u);
  EXPECT_EQ(layer->block[1], 2u);
  EXPECT_EQ(layer->block[2], 1u);
  EXPECT_EQ(layer->sharedBytes, 4096u);
  ASSERT_EQ(layer->params.size(), 3u);
  EXPECT_EQ(layer->params[0].kind, rt::ArgKind::Tensor);
  EXPECT_EQ(layer->params[0].name, "blk.{layer}.wq");
  EXPECT_EQ(layer->params[0].elementType, rt::ElementType::I8);
  EXPECT_EQ(layer->params[0].sizes, (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(layer->params[1].kind, rt::ArgKind::Buffer);
  EXPECT_EQ(layer->params[1].name, "kcache");
  EXPECT_EQ(layer->params[2].kind, rt::ArgKind::Scalar);
  EXPECT_EQ(layer->params[2].elementType, rt::ElementType::I64);
  EXPECT_TRUE(layer->params[2].sizes.empty());
  const rt::FunctionInfo *embed = b.findFunction("embed");
  EXPECT_EQ(embed->params[0].sizes, (std::vector<int64_t>{-1}));
  EXPECT_EQ(embed->params[2].sizes, (std::vector<int64_t>{-1, 8}));

  ASSERT_EQ(b.plan().size(), 2u);
  EXPECT_EQ(b.plan()[0].function, "embed");
  EXPECT_EQ(b.plan()[0].repeat, 1u);
  EXPECT_EQ(b.plan()[1].function, "layer");
  EXPECT_EQ(b.plan()[1].repeat, 2u);

  ASSERT_EQ(b.code().size(), 2u);
  const rt::CodeObject *cpu = b.findCode("cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->kind, "elf-shared-object");
  EXPECT_EQ(cpu->arch, "x86_64");
  EXPECT_EQ(cpu->offset % 4096, 0u);
  EXPECT_EQ(cpu->data, base + cpu->offset);
  EXPECT_EQ(std::vector<uint8_t>(cpu->data, cpu->data + cpu->size),
            test::pattern(5000, 6));
  const rt::CodeObject *ptx = b.findCode("ptx");
  ASSERT_NE(ptx, nullptr);
  EXPECT_EQ(ptx->arch, "sm_80");
  EXPECT_EQ(ptx->offset % 4096, 0u);
  EXPECT_EQ(std::string(ptx->data, ptx->data + ptx->size),
            "// PTX\n.version 8.0\n.target sm_80\n");
  EXPECT_EQ(b.findCode("sm_90"), nullptr);
}

TEST(ChecksumTest, KnownXXH64Values) {
  EXPECT_EQ(rt::checksum64(nullptr, 0), 0xEF46DB3751D8E999ull);
  const uint8_t abc[] = {'a', 'b', 'c'};
  EXPECT_EQ(rt::checksum64(abc, 3), 0x44BC2CF5AD770999ull);
  // Every length through the 32-byte stripes and the 8/4/1-byte tails.
  std::vector<uint8_t> data = test::pattern(100, 9);
  for (size_t n = 1; n < data.size(); ++n) {
    uint64_t h = rt::checksum64(data.data(), n);
    EXPECT_NE(h, rt::checksum64(data.data(), n - 1));
    data[n / 2] ^= 1;
    EXPECT_NE(h, rt::checksum64(data.data(), n)) << n;
    data[n / 2] ^= 1;
  }
}

TEST(BundleTest, RoundTripsInMemory) {
  std::vector<uint8_t> bytes = test::sampleBundleBytes();
  std::unique_ptr<Bundle> b;
  rt::Status s = Bundle::parse(bytes.data(), bytes.size(), b);
  ASSERT_TRUE(s.ok()) << s.message();
  expectSample(*b, bytes.data());
}

TEST(BundleTest, WritesAndMapsTheSameBytes) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  std::string path = tempPath("roundtrip.itq3");
  rt::Status s = w.write(path);
  ASSERT_TRUE(s.ok()) << s.message();
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file, test::sampleBundleBytes());
  EXPECT_EQ(access((path + ".tmp").c_str(), F_OK), -1);

  std::unique_ptr<Bundle> b;
  s = Bundle::open(path, b);
  ASSERT_TRUE(s.ok()) << s.message();
  expectSample(*b, b->tensors()[0].data - b->tensors()[0].offset);
  std::remove(path.c_str());
}

TEST(BundleTest, OpenReportsMissingAndEmptyFiles) {
  std::unique_ptr<Bundle> b;
  rt::Status s = Bundle::open("/nonexistent/x.itq3", b);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot open /nonexistent/x.itq3"),
            std::string::npos);
  std::string path = tempPath("empty.itq3");
  std::ofstream(path).close();
  s = Bundle::open(path, b);
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  EXPECT_EQ(b, nullptr);
  std::remove(path.c_str());
  s = Bundle::open("/tmp", b);
  EXPECT_NE(s.message().find("is not a regular file"), std::string::npos);
}

TEST(BundleTest, EmptyTablesRoundTrip) {
  rt::BundleWriter w;
  w.meta.maxContext = w.meta.prefillChunk = 1;
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(bytes).ok());
  EXPECT_EQ(regionSize(bytes, Data), 0u);
  std::unique_ptr<Bundle> b;
  rt::Status s = Bundle::parse(bytes.data(), bytes.size(), b);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(b->tensors().empty() && b->functions().empty() &&
              b->plan().empty() && b->code().empty());
  EXPECT_TRUE(b->meta().config.empty() && b->meta().tokenizer.empty());
}

TEST(BundleTest, ConfigValuesParseStrictly) {
  std::vector<uint8_t> bytes = test::sampleBundleBytes();
  std::unique_ptr<Bundle> b;
  ASSERT_TRUE(Bundle::parse(bytes.data(), bytes.size(), b).ok());
  int64_t i = 0;
  ASSERT_TRUE(b->configInt("dim", i).ok());
  EXPECT_EQ(i, 64);
  EXPECT_NE(b->configInt("missing", i).message().find("has no 'missing'"),
            std::string::npos);
  EXPECT_NE(b->configInt("bad_int", i).message().find("not an integer"),
            std::string::npos);
  EXPECT_FALSE(b->configInt("spaced", i).ok());
  EXPECT_FALSE(b->configInt("rope_base", i).ok());
}

//===-- Refused bundles ---------------------------------------------------===//

bool hasAny(const std::string &msg, std::initializer_list<const char *> keys) {
  for (const char *k : keys)
    if (msg.find(k) != std::string::npos)
      return true;
  return false;
}

TEST(BundleTest, EveryHeaderByteIsChecked) {
  const std::vector<uint8_t> good = test::sampleBundleBytes();
  for (size_t i = 0; i < kHeaderSize; ++i)
    for (uint8_t flip : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
      std::vector<uint8_t> bad = good;
      bad[i] ^= flip;
      std::string msg = parseError(bad);
      EXPECT_TRUE(hasAny(msg, {"not an itq3 bundle", "bundle format version",
                               "header size", "truncated", "corrupt"}))
          << "byte " << i << " ^ " << int(flip) << ": '" << msg << "'";
    }
}

TEST(BundleTest, TruncationAnywhereIsReported) {
  const std::vector<uint8_t> good = test::sampleBundleBytes();
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 512; ++n)
    cuts.push_back(n);
  for (size_t k = 0; k < 64; ++k)
    cuts.push_back(good.size() * k / 64);
  cuts.push_back(good.size() - 1);
  for (size_t n : cuts) {
    std::string msg = parseError(good, n);
    EXPECT_NE(msg.find("truncated"), std::string::npos)
        << "cut at " << n << ": '" << msg << "'";
  }
}

TEST(BundleTest, TrailingBytesAreReported) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  bad.push_back(0);
  EXPECT_NE(parseError(bad).find("past the end the header records"),
            std::string::npos);
}

TEST(BundleTest, CorruptTensorDataNamesTheTensor) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  std::unique_ptr<Bundle> b;
  ASSERT_TRUE(Bundle::parse(bad.data(), bad.size(), b).ok());
  uint64_t at = b->findTensor("blk.1.wq")->offset + 17;
  uint64_t codeAt = b->findCode("cpu")->offset + 4999;
  b.reset();
  bad[at] ^= 0x10;
  std::string msg = parseError(bad);
  EXPECT_NE(msg.find("tensor 'blk.1.wq' checksum mismatch"), std::string::npos)
      << msg;
  bad[at] ^= 0x10;
  bad[codeAt] ^= 0x10;
  msg = parseError(bad);
  EXPECT_NE(msg.find("cpu code object's checksum mismatch"), std::string::npos)
      << msg;
}

TEST(BundleTest, CorruptTablesFailTheTableChecksum) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  bad[regionOffset(bad, Functions) + 3] ^= 0x40;
  EXPECT_NE(parseError(bad).find("header and table checksum does not match"),
            std::string::npos);
}

TEST(BundleTest, OtherFormatVersionIsRefused) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  store(bad, 8, 2, 4);
  EXPECT_EQ(parseError(bad), "bundle format version 2, this runtime reads 1: "
                             "recompile with itq3-compile");
}

TEST(BundleTest, OtherCompilerVersionIsRefused) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  std::string ours = rt::compilerVersion(), other = ours;
  other.back() = other.back() == '9' ? '8' : '9';
  replaceIn(bad, regionOffset(bad, Meta), regionOffset(bad, Tensors), ours,
            other);
  reseal(bad);
  std::string msg = parseError(bad);
  EXPECT_NE(msg.find("compiled by \"" + other + "\", this runtime is \"" +
                     ours + "\""),
            std::string::npos)
      << msg;
}

TEST(BundleTest, BadMagicIsRefused) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  bad[3] = 'X';
  EXPECT_NE(parseError(bad).find("not an itq3 bundle"), std::string::npos);
  std::vector<uint8_t> text(4000, 'a');
  EXPECT_NE(parseError(text).find("not an itq3 bundle"), std::string::npos);
}

TEST(BundleTest, UnknownPlanFunctionIsRefused) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  w.addPlanStep({"lm_head", 1});
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(bytes).ok());
  EXPECT_NE(parseError(bytes).find("plan step 2 calls unknown function "
                                   "'lm_head'"),
            std::string::npos);
  // The writer refuses to write what the loader would refuse.
  std::string path = tempPath("unknown.itq3");
  rt::Status s = w.write(path);
  EXPECT_NE(s.message().find("refusing to write"), std::string::npos);
  EXPECT_EQ(access(path.c_str(), F_OK), -1);
}

TEST(BundleTest, MissingPerLayerTensorIsRefused) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  w.addPlanStep({"layer", 3}); // blk.2.wq does not exist
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(bytes).ok());
  std::string msg = parseError(bytes);
  EXPECT_NE(msg.find("function 'layer' binds tensor 'blk.2.wq', which the "
                     "bundle does not have"),
            std::string::npos)
      << msg;
}

TEST(BundleTest, MisSizedBindingIsRefused) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  rt::FunctionInfo f;
  f.name = "head";
  f.target = "cpu";
  f.entry = "itq3_head";
  f.params = {test::param(rt::ArgKind::Tensor, "output.weight",
                          rt::ElementType::F32, {10, 10})};
  w.addFunction(f);
  w.addPlanStep({"head", 1});
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(bytes).ok());
  std::string msg = parseError(bytes);
  EXPECT_NE(msg.find("(400 bytes), but the tensor has 100 bytes"),
            std::string::npos)
      << msg;
}

TEST(BundleTest, DynamicTensorBindingIsRefused) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  rt::FunctionInfo f;
  f.name = "head";
  f.params = {test::param(rt::ArgKind::Tensor, "output.weight",
                          rt::ElementType::I8, {-1, 10})};
  w.addFunction(f);
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(bytes).ok());
  EXPECT_NE(parseError(bytes).find("a tensor binding needs static sizes"),
            std::string::npos);
}

TEST(BundleTest, DuplicateTensorNamesAreRefused) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  w.addTensor(test::tensorInfo("blk.0.wq", {8, 8}, "q8"), test::pattern(64, 7));
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(bytes).ok());
  EXPECT_NE(parseError(bytes).find("two tensors named 'blk.0.wq'"),
            std::string::npos);
}

TEST(BundleTest, WriterRefusesWhatItCannotEncode) {
  rt::BundleWriter w;
  test::fillSampleBundle(w);
  w.addPlanStep({"embed", 0});
  std::vector<uint8_t> bytes;
  rt::Status s = w.serialize(bytes);
  EXPECT_NE(s.message().find("repeats 0 times"), std::string::npos);
  rt::BundleWriter v;
  test::fillSampleBundle(v);
  v.meta.prefillChunk = 1000; // over maxContext
  EXPECT_NE(v.serialize(bytes).message().find("bad compile limits"),
            std::string::npos);
}

/// Finds the tensor table entry's (offset, size, checksum) triple of `name`.
size_t tensorFieldsAt(const std::vector<uint8_t> &bytes, const char *name) {
  std::unique_ptr<Bundle> b;
  EXPECT_TRUE(Bundle::parse(bytes.data(), bytes.size(), b).ok());
  const rt::TensorInfo *t = b->findTensor(name);
  std::vector<uint8_t> key(24);
  store(key, 0, t->offset, 8);
  store(key, 8, t->size, 8);
  store(key, 16, t->checksum, 8);
  auto it = std::search(bytes.begin() + regionOffset(bytes, Tensors),
                        bytes.begin() + regionOffset(bytes, Functions),
                        key.begin(), key.end());
  EXPECT_NE(it, bytes.begin() + regionOffset(bytes, Functions));
  return size_t(it - bytes.begin());
}

TEST(BundleTest, BadTensorRangesAreRefused) {
  const std::vector<uint8_t> good = test::sampleBundleBytes();
  size_t at = tensorFieldsAt(good, "blk.1.wq");
  size_t other = tensorFieldsAt(good, "blk.0.wq");
  auto withField = [&](size_t field, uint64_t value) {
    std::vector<uint8_t> bad = good;
    store(bad, field, value, 8);
    reseal(bad);
    return parseError(bad);
  };
  uint64_t offset = load(good, at, 8);
  EXPECT_NE(withField(at, offset + 1).find("is not 64-byte aligned"),
            std::string::npos);
  EXPECT_NE(withField(at, load(good, other, 8)).find("overlap"),
            std::string::npos);
  EXPECT_NE(withField(at + 8, UINT64_MAX).find("outside the data region"),
            std::string::npos);
  EXPECT_NE(withField(at, UINT64_MAX - 63).find("outside the data region"),
            std::string::npos);
  EXPECT_NE(withField(at, 0).find("outside the data region"),
            std::string::npos);
}

TEST(BundleTest, BadRegionsAndCountsAreRefused) {
  const std::vector<uint8_t> good = test::sampleBundleBytes();
  auto withHeader = [&](size_t field, uint64_t value, int n) {
    std::vector<uint8_t> bad = good;
    store(bad, field, value, n);
    reseal(bad);
    return parseError(bad);
  };
  // Sizes that overflow offset + size.
  EXPECT_NE(withHeader(kOffRegions + 8, UINT64_MAX, 8).find("runs past the end"),
            std::string::npos);
  EXPECT_NE(withHeader(kOffRegions + 16, UINT64_MAX - 7, 8)
                .find("runs past the end"),
            std::string::npos);
  EXPECT_NE(withHeader(kOffRegions + 16, kHeaderSize, 8)
                .find("overlaps the header or the region before it"),
            std::string::npos);
  EXPECT_NE(withHeader(kOffRegions, 0, 8)
                .find("overlaps the header or the region before it"),
            std::string::npos);
  std::string msg = withHeader(kOffCounts, 0xffffffff, 4);
  EXPECT_NE(msg.find("a count of 4294967295 tensors cannot fit"),
            std::string::npos)
      << msg;
  msg = withHeader(kOffCounts + 8, 1, 4); // fewer plan steps than stored
  EXPECT_NE(msg.find("unused bytes after the last entry"), std::string::npos)
      << msg;
  msg = withHeader(kOffCounts + 4, 3, 4); // more functions than stored
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(BundleTest, StringPastTheEndIsRefused) {
  std::vector<uint8_t> bad = test::sampleBundleBytes();
  uint64_t meta = regionOffset(bad, Meta);
  store(bad, meta, regionSize(bad, Meta), 4); // the compiler version's length
  reseal(bad);
  std::string msg = parseError(bad);
  EXPECT_NE(msg.find("runs past the end"), std::string::npos) << msg;
  store(bad, meta, 0x7fffffff, 4);
  reseal(bad);
  msg = parseError(bad);
  EXPECT_NE(msg.find("exceeds the limit"), std::string::npos) << msg;
}

// Random edits, resealed so they get past the checksum into the decoders:
// a bundle may parse or be refused, but never crash or read out of bounds.
TEST(BundleTest, RandomResealedEditsNeverCrash) {
  const std::vector<uint8_t> good = test::sampleBundleBytes();
  uint64_t tablesEnd = regionOffset(good, Data);
  std::mt19937_64 rng(42);
  int refused = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> bad = good;
    for (int k = 0, n = 1 + int(rng() % 4); k < n; ++k)
      bad[kHeaderSize + rng() % (tablesEnd - kHeaderSize)] = uint8_t(rng());
    reseal(bad);
    refused += !parseError(bad).empty();
  }
  EXPECT_GT(refused, 2000);
}

} // namespace
