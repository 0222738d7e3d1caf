//===- GGUFWriter.h - GGUF files assembled from the published layout ----===//
//
// For the importer's tests and the model fuzzer's seeds.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TEST_UNIT_MODEL_GGUFWRITER_H
#define ITQ3_TEST_UNIT_MODEL_GGUFWRITER_H

#include "TestUtil.h"

#include <cstdint>
#include <string>
#include <vector>

namespace itq3::model::test {

enum : uint32_t { U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9 };

struct GGUFWriter {
  struct Entry {
    std::string name;
    std::vector<uint64_t> dims; // innermost first
    uint32_t type;
    std::vector<uint8_t> data;
  };
  Bytes meta;
  uint64_t nKv = 0;
  std::vector<Entry> tensors;
  uint64_t alignment = 32;
  uint32_t version = 3;

  void str(const std::string &k, const std::string &v) {
    meta.str64(k).put<uint32_t>(STRING).str64(v);
    ++nKv;
  }
  void u32(const std::string &k, uint32_t v) {
    meta.str64(k).put<uint32_t>(U32).put(v);
    ++nKv;
  }
  void f32(const std::string &k, float v) {
    meta.str64(k).put<uint32_t>(F32).put(v);
    ++nKv;
  }
  void boolean(const std::string &k, bool v) {
    meta.str64(k).put<uint32_t>(BOOL).put<uint8_t>(v);
    ++nKv;
  }
  void strings(const std::string &k, const std::vector<std::string> &v) {
    meta.str64(k).put<uint32_t>(ARRAY).put<uint32_t>(STRING).put<uint64_t>(v.size());
    for (const std::string &s : v)
      meta.str64(s);
    ++nKv;
  }
  template <typename T>
  void numbers(const std::string &k, uint32_t type, const std::vector<T> &v) {
    meta.str64(k).put<uint32_t>(ARRAY).put<uint32_t>(type).put<uint64_t>(v.size());
    for (T x : v)
      meta.put(x);
    ++nKv;
  }
  void tensor(const std::string &name, std::vector<uint64_t> dims,
              uint32_t type, std::vector<uint8_t> data) {
    tensors.push_back({name, dims, type, std::move(data)});
  }
  void f32Tensor(const std::string &name, const Tensor &t) {
    Bytes b;
    b.floats(t.data);
    tensor(name, std::vector<uint64_t>(t.shape.rbegin(), t.shape.rend()), 0,
           b.data);
  }

  Bytes build() const {
    Bytes b;
    b.raw("GGUF").put(version).put<uint64_t>(tensors.size()).put(nKv);
    b.data.insert(b.data.end(), meta.data.begin(), meta.data.end());
    uint64_t offset = 0;
    for (const Entry &e : tensors) {
      b.str64(e.name).put<uint32_t>(uint32_t(e.dims.size()));
      for (uint64_t d : e.dims)
        b.put(d);
      b.put(e.type).put(offset);
      offset += (e.data.size() + alignment - 1) / alignment * alignment;
    }
    b.pad(size_t(alignment));
    for (const Entry &e : tensors) {
      b.data.insert(b.data.end(), e.data.begin(), e.data.end());
      b.pad(size_t(alignment));
    }
    return b;
  }
};

/// Metadata and f32 tensors of a tiny model in GGUF naming.
inline GGUFWriter modelWriter(const Model &m, const std::string &arch = "llama") {
  GGUFWriter w;
  const ModelConfig &c = m.config;
  w.str("general.architecture", arch);
  w.u32(arch + ".embedding_length", uint32_t(c.dim));
  w.u32(arch + ".feed_forward_length", uint32_t(c.hiddenDim));
  w.u32(arch + ".block_count", uint32_t(c.nLayers));
  w.u32(arch + ".attention.head_count", uint32_t(c.nHeads));
  w.u32(arch + ".attention.head_count_kv", uint32_t(c.nKvHeads));
  w.u32(arch + ".context_length", uint32_t(c.seqLen));
  w.f32(arch + ".rope.freq_base", 500000.0f);
  w.f32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
  for (const auto &[name, t] : m.tensors)
    w.f32Tensor(name, t);
  return w;
}

} // namespace itq3::model::test

#endif // ITQ3_TEST_UNIT_MODEL_GGUFWRITER_H
