//===- TestUtil.h - Helpers for the model tests: files, tiny models --------===//
#ifndef ITQ3_TEST_UNIT_MODEL_TESTUTIL_H
#define ITQ3_TEST_UNIT_MODEL_TESTUTIL_H

#include "itq3/Model/Model.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace itq3::model::test {

/// Little-endian byte buffer for writing test files by hand.
struct Bytes {
  std::vector<uint8_t> data;
  template <typename T> Bytes &put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    data.insert(data.end(), b, b + sizeof(T));
    return *this;
  }
  Bytes &raw(const std::string &s) {
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  Bytes &str64(const std::string &s) { return put<uint64_t>(s.size()).raw(s); }
  Bytes &floats(const std::vector<float> &v) {
    for (float f : v)
      put(f);
    return *this;
  }
  Bytes &pad(size_t align) {
    while (data.size() % align)
      data.push_back(0);
    return *this;
  }
  size_t size() const { return data.size(); }
};

/// A temporary file (named after the process), removed with the object.
class TempFile {
public:
  explicit TempFile(const std::string &name, const std::vector<uint8_t> &bytes) {
    const char *tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp ? tmp : "/tmp") + "/itq3-model-test-" +
            std::to_string(getpid()) + "-" + name;
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()),
               std::streamsize(bytes.size()));
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

/// A path for a file the code under test writes (named after the process),
/// and its removal when the test ends.
inline std::string tempPath(const std::string &name) {
  const char *tmp = std::getenv("TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/itq3-model-test-" +
         std::to_string(getpid()) + "-" + name;
}
struct Removed {
  std::string path;
  ~Removed() { std::remove(path.c_str()); }
};

/// n token ids below `vocab`, in an order with some repetition.
inline std::vector<int32_t> someTokens(int64_t n, int64_t vocab) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i)
    t.push_back(int32_t((i * 7 + i / 3) % vocab));
  return t;
}

/// A fresh directory for files that must sit side by side (safetensors and
/// its config.json); removed with its files.
class TempDir {
public:
  TempDir() {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp ? tmp : "/tmp") + "/itq3-model-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back(0);
    if (!mkdtemp(buf.data()))
      std::abort();
    path_ = buf.data();
  }
  ~TempDir() {
    for (const std::string &f : files_)
      std::remove(f.c_str());
    rmdir(path_.c_str());
  }
  std::string write(const std::string &name, const std::string &bytes) {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    files_.push_back(p);
    return p;
  }

private:
  std::string path_;
  std::vector<std::string> files_;
};

/// Deterministic values in [-scale, scale) (no <random>: identical on every
/// standard library).
inline std::vector<float> pseudoRandom(size_t n, uint32_t seed,
                                       float scale = 0.5f) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 12345u;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = (float(s >> 8) / float(1u << 24) * 2.0f - 1.0f) * scale;
  }
  return v;
}

/// A small random Llama-style model with every tensor the forward reads.
inline Model tinyModel(int64_t dim = 8, int64_t hidden = 12, int64_t layers = 2,
                       int64_t heads = 2, int64_t kvHeads = 1,
                       int64_t vocab = 10, bool tied = true, bool bias = false) {
  Model m;
  ModelConfig &c = m.config;
  c.dim = dim;
  c.hiddenDim = hidden;
  c.nLayers = layers;
  c.nHeads = heads;
  c.nKvHeads = kvHeads;
  c.headDim = dim / heads;
  c.vocabSize = vocab;
  c.seqLen = 32;
  c.tiedOutput = tied;
  c.qkvBias = bias;
  if (bias)
    c.arch = "qwen2";
  uint32_t seed = 1;
  auto add = [&](const std::string &name, std::vector<int64_t> shape) {
    Tensor t;
    t.shape = shape;
    t.sourceType = "f32";
    t.data = pseudoRandom(size_t(t.numel()), seed++);
    if (shape.size() == 1) // norms near 1, as trained models have them
      for (float &x : t.data)
        x += 1.0f;
    m.tensors[name] = t;
  };
  int64_t q = heads * c.headDim, kv = kvHeads * c.headDim;
  add("token_embd.weight", {vocab, dim});
  add("output_norm.weight", {dim});
  if (!tied)
    add("output.weight", {vocab, dim});
  for (int64_t l = 0; l < layers; ++l) {
    add(layerTensor(l, "attn_norm"), {dim});
    add(layerTensor(l, "attn_q"), {q, dim});
    add(layerTensor(l, "attn_k"), {kv, dim});
    add(layerTensor(l, "attn_v"), {kv, dim});
    add(layerTensor(l, "attn_output"), {dim, q});
    add(layerTensor(l, "ffn_norm"), {dim});
    add(layerTensor(l, "ffn_gate"), {hidden, dim});
    add(layerTensor(l, "ffn_up"), {hidden, dim});
    add(layerTensor(l, "ffn_down"), {dim, hidden});
    if (bias) {
      add(layerTensor(l, "attn_q", "bias"), {q});
      add(layerTensor(l, "attn_k", "bias"), {kv});
      add(layerTensor(l, "attn_v", "bias"), {kv});
    }
  }
  return m;
}

/// The directory of the real models, or "" when ../shared is absent.
inline std::string sharedModels() {
  const char *env = std::getenv("ITQ3_SHARED_DIR");
  for (std::string dir : {env ? std::string(env) : std::string(),
                          std::string(ITQ3_SOURCE_DIR) + "/../shared"}) {
    if (dir.empty())
      continue;
    std::string models = dir + "/models";
    if (std::ifstream(models + "/stories260K.bin").good())
      return models;
  }
  return "";
}

} // namespace itq3::model::test

#endif // ITQ3_TEST_UNIT_MODEL_TESTUTIL_H
