//===- Bundle.h - The compiled-model bundle: writer and loader --*- C++ -*-===//
//
// One file holds a whole compiled model: a versioned header, the compile
// limits, the model config and tokenizer, a tensor table (weights stored as
// lib/Format packs them, aligned for mmap, each with a checksum), a function
// table (entry points with their parameter bindings), a plan (which function
// runs in which order, per layer) and the code of every target (a CPU shared
// object, cubins, PTX). The byte layout is documented field by field in
// docs/bundle.md.
//
// The runtime side (Bundle::open) maps the file and validates every field
// before anything uses it, so a truncated, corrupted or foreign file is a
// message, never a crash. The writer is used by itq3-compile.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_BUNDLE_H
#define ITQ3_RUNTIME_BUNDLE_H

#include "itq3/Format/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itq3::rt {

using format::Status;

/// Bumped whenever the byte layout changes; a loader refuses any other.
constexpr uint32_t kBundleFormatVersion = 1;

/// The compiler that wrote a bundle; the loader refuses a bundle whose
/// compiler version differs (compiled code and runtime must agree on the
/// calling convention).
const char *compilerVersion();

enum class ElementType : uint8_t { F32 = 0, I8 = 1, I32 = 2, I64 = 3 };
/// Bytes of one element.
int64_t elementBytes(ElementType type);

struct TensorInfo {
  std::string name;           // "blk.0.attn_q.weight"
  std::vector<int64_t> shape; // logical shape: a linear is {N, K}
  std::string format;         // "itq3_s", "q8", "f16", "f32", ...
  std::string rotation;       // "none", "weight", "activation"
  uint64_t signSeed = 0;
  std::string layout;         // "rows": lib/Format's packed rows
  uint64_t offset = 0;        // from the start of the file (set by the writer)
  uint64_t size = 0;          // bytes
  uint64_t checksum = 0;      // of the bytes (set by the writer)
  const uint8_t *data = nullptr; // loader: the mapped bytes
};

/// How one parameter of a compiled function is bound at a call.
enum class ArgKind : uint8_t {
  Tensor = 0, // a tensor of the bundle; `name` may contain "{layer}"
  Buffer = 1, // a buffer the runtime owns: "x", "tokens", "logits",
              // "kcache", "vcache" (the latter two: the layer's slice)
  Scalar = 2, // an int64 the runtime passes by value: "pos", "rows"
};

struct ParamBinding {
  ArgKind kind = ArgKind::Tensor;
  std::string name;
  ElementType elementType = ElementType::F32;
  /// Memref sizes; -1 is the call's row count M (dynamic). Empty for a
  /// scalar.
  std::vector<int64_t> sizes;
};

struct FunctionInfo {
  std::string name;   // the plan refers to it by this name
  std::string target; // "cpu", or a GPU chip such as "sm_80"
  std::string entry;  // symbol in the target's code
  std::vector<ParamBinding> params;
  uint32_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1}; // GPU kernels
  uint32_t sharedBytes = 0;
};

/// One step of the forward pass: call `function` `repeat` times, with
/// {layer} = 0 .. repeat-1 in tensor names and cache slices.
struct PlanStep {
  std::string function;
  uint32_t repeat = 1;
};

struct CodeObject {
  std::string target; // "cpu", "sm_80", ..., "ptx"
  std::string kind;   // "elf-shared-object", "cubin", "ptx"
  std::string arch;   // cpu: "x86_64"; ptx: the lowest chip it was made for
  std::vector<uint8_t> bytes; // writer only
  const uint8_t *data = nullptr; // loader: the mapped bytes
  uint64_t offset = 0, size = 0, checksum = 0;
};

struct BundleMeta {
  std::string compilerVersion; // loader: as stored
  int64_t maxContext = 0;
  int64_t prefillChunk = 0;   // most rows one call of the plan takes
  int64_t tensorParallelDegree = 1, tensorParallelRank = 0;
  /// Model config and compile options as text key/values ("dim", "arch",
  /// "rope_base", "format", ...).
  std::map<std::string, std::string> config;
  std::vector<uint8_t> tokenizer; // serialized tokenizer (lib/Model)
};

class BundleWriter {
public:
  BundleMeta meta;
  void addTensor(TensorInfo info, std::vector<uint8_t> bytes);
  void addFunction(FunctionInfo function);
  void addPlanStep(PlanStep step);
  void addCode(CodeObject code);
  /// Writes the file (tensors 64-byte aligned, code page aligned). Refuses,
  /// with the loader's message, a bundle the loader would refuse (unknown
  /// plan functions, missing or mis-sized tensor bindings, bad limits), and
  /// writes through a temporary file so a failed write leaves no bundle.
  Status write(const std::string &path) const;
  /// The file's bytes in memory, encoded as they are without the checks of
  /// write(): for tests and fuzz seeds that need bundles the loader refuses.
  /// Fails only when a field cannot be encoded at all.
  Status serialize(std::vector<uint8_t> &out) const;

private:
  std::vector<std::pair<TensorInfo, std::vector<uint8_t>>> tensors_;
  std::vector<FunctionInfo> functions_;
  std::vector<PlanStep> plan_;
  std::vector<CodeObject> code_;
};

class Bundle {
public:
  /// Maps and validates the file: magic, format and compiler versions,
  /// every table, offset, size and checksum. On failure `out` stays null.
  static Status open(const std::string &path, std::unique_ptr<Bundle> &out);
  /// The same over bytes already in memory (for the fuzz target and tests);
  /// the bytes must outlive the Bundle.
  static Status parse(const uint8_t *data, uint64_t size,
                      std::unique_ptr<Bundle> &out);
  ~Bundle();

  const BundleMeta &meta() const { return meta_; }
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  const TensorInfo *findTensor(const std::string &name) const;
  const std::vector<FunctionInfo> &functions() const { return functions_; }
  const FunctionInfo *findFunction(const std::string &name) const;
  const std::vector<PlanStep> &plan() const { return plan_; }
  const std::vector<CodeObject> &code() const { return code_; }
  const CodeObject *findCode(const std::string &target) const;
  /// The config value for `key`, or an error naming the missing key.
  Status configInt(const std::string &key, int64_t &out) const;

private:
  Bundle() = default;
  BundleMeta meta_;
  std::vector<TensorInfo> tensors_;
  std::vector<FunctionInfo> functions_;
  std::vector<PlanStep> plan_;
  std::vector<CodeObject> code_;
  void *mapping_ = nullptr;
  uint64_t mappingSize_ = 0;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_BUNDLE_H
