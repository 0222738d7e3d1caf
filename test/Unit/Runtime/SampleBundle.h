//===- SampleBundle.h - A small valid bundle for tests and fuzz seeds -----===//
//
// Exercises every part of the layout: config and tokenizer, tensors of
// several sizes (one not a multiple of the alignment), a CPU function and a
// GPU kernel with a per-layer binding called for two layers, and two code
// objects.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_TEST_SAMPLEBUNDLE_H
#define ITQ3_TEST_SAMPLEBUNDLE_H

#include "itq3/Runtime/Bundle.h"

#include <cstdint>
#include <vector>

namespace itq3::test {

inline std::vector<uint8_t> pattern(size_t n, uint8_t salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(i * 31 + salt);
  return v;
}

inline rt::TensorInfo tensorInfo(const char *name, std::vector<int64_t> shape,
                                 const char *format) {
  rt::TensorInfo t;
  t.name = name;
  t.shape = std::move(shape);
  t.format = format;
  t.rotation = "none";
  t.layout = "rows";
  return t;
}

inline rt::ParamBinding param(rt::ArgKind kind, const char *name,
                              rt::ElementType type, std::vector<int64_t> sizes) {
  rt::ParamBinding p;
  p.kind = kind;
  p.name = name;
  p.elementType = type;
  p.sizes = std::move(sizes);
  return p;
}

inline void fillSampleBundle(rt::BundleWriter &w) {
  using rt::ArgKind;
  using rt::ElementType;
  w.meta.maxContext = 256;
  w.meta.prefillChunk = 32;
  w.meta.tensorParallelDegree = 2;
  w.meta.tensorParallelRank = 1;
  w.meta.config = {{"arch", "llama"}, {"dim", "64"}, {"rope_base", "10000.5"},
                   {"bad_int", "12abc"}, {"spaced", " 7"}, {"huge", "1e999"}};
  w.meta.tokenizer = pattern(100, 5);

  w.addTensor(tensorInfo("tok_embeddings.weight", {16, 8}, "f32"),
              pattern(16 * 8 * 4, 1));
  rt::TensorInfo wq0 = tensorInfo("blk.0.wq", {8, 8}, "q8");
  wq0.rotation = "weight";
  wq0.signSeed = 0x123456789abcdef0ull;
  w.addTensor(wq0, pattern(64, 2));
  w.addTensor(tensorInfo("blk.1.wq", {8, 8}, "q8"), pattern(64, 3));
  w.addTensor(tensorInfo("output.weight", {10, 10}, "f32"), pattern(100, 4));

  rt::FunctionInfo embed;
  embed.name = "embed";
  embed.target = "cpu";
  embed.entry = "itq3_embed";
  embed.params = {param(ArgKind::Buffer, "tokens", ElementType::I32, {-1}),
                  param(ArgKind::Tensor, "tok_embeddings.weight",
                        ElementType::F32, {16, 8}),
                  param(ArgKind::Buffer, "x", ElementType::F32, {-1, 8})};
  w.addFunction(embed);

  rt::FunctionInfo layer;
  layer.name = "layer";
  layer.target = "sm_80";
  layer.entry = "itq3_layer_kernel";
  layer.grid[0] = 4;
  layer.block[0] = 128;
  layer.block[1] = 2;
  layer.sharedBytes = 4096;
  layer.params = {param(ArgKind::Tensor, "blk.{layer}.wq", ElementType::I8,
                        {8, 8}),
                  param(ArgKind::Buffer, "kcache", ElementType::F32, {256, 8}),
                  param(ArgKind::Scalar, "pos", ElementType::I64, {})};
  w.addFunction(layer);

  w.addPlanStep({"embed", 1});
  w.addPlanStep({"layer", 2});

  rt::CodeObject cpu;
  cpu.target = "cpu";
  cpu.kind = "elf-shared-object";
  cpu.arch = "x86_64";
  cpu.bytes = pattern(5000, 6);
  w.addCode(cpu);
  rt::CodeObject ptx;
  ptx.target = "ptx";
  ptx.kind = "ptx";
  ptx.arch = "sm_80";
  std::string text = "// PTX\n.version 8.0\n.target sm_80\n";
  ptx.bytes.assign(text.begin(), text.end());
  w.addCode(ptx);
}

inline std::vector<uint8_t> sampleBundleBytes() {
  rt::BundleWriter w;
  fillSampleBundle(w);
  std::vector<uint8_t> bytes;
  (void)w.serialize(bytes);
  return bytes;
}

} // namespace itq3::test

#endif // ITQ3_TEST_SAMPLEBUNDLE_H
