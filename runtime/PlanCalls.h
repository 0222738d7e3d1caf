//===- PlanCalls.h - the calls a bundle's plan makes, for every backend ---===//
//
// Internal to the runtime: how the plan (embed, layer x N, head) turns a
// run of n tokens into calls, and how a call's parameters are bound, the
// same for the CPU and the CUDA backend.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_PLANCALLS_H
#define ITQ3_RUNTIME_PLANCALLS_H

#include "itq3/Runtime/Bundle.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace itq3::rt {

/// `name` with every "{layer}" replaced by `layer`.
std::string bindLayer(std::string name, uint32_t layer);

/// A ranked memref descriptor as the compiled code's C interface reads it:
/// allocated and aligned pointers, offset, sizes, strides (row-major).
/// `address` is a host or a device address.
std::vector<int64_t> descriptor(uint64_t address,
                                const std::vector<int64_t> &sizes);

bool hasBuffer(const FunctionInfo &f, const char *name);

/// The function to call for `name` with `rows` rows: NAME_prefill (tiles
/// for many rows) from `prefillRows` rows on, when the bundle has one.
const FunctionInfo &variant(const Bundle &bundle, const std::string &name,
                            int64_t rows, int64_t prefillRows);

/// Error unless tokens[0..n) at pos .. pos + n - 1 fit the context and the
/// vocabulary.
Status checkRun(const int32_t *tokens, int64_t n, int64_t pos,
                int64_t context, int64_t vocab);

/// Where one call's buffers are: host or device addresses, the KV caches'
/// of the call's layer.
struct CallBuffers {
  uint64_t x = 0, tokens = 0, logits = 0, kcache = 0, vcache = 0;
};

/// The packed arguments of one call of `_itq3_packed_NAME(void **args)`:
/// `args` points into the other members.
struct CallArgs {
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> pointers, args;
  std::vector<int64_t> scalars;
};

/// Binds the parameters of `f` for a call with `rows` rows at `pos`: the
/// bundle's tensors (the layer substituted) at tensorAddress(tensor), the
/// runtime's buffers at `buffers`, the scalar pos by value.
Status bindCall(const Bundle &bundle, const FunctionInfo &f, uint32_t layer,
                int64_t rows, int64_t pos,
                const std::function<uint64_t(const TensorInfo &)> &tensorAddress,
                const CallBuffers &buffers, CallArgs &out);

/// Adds `seconds` to the entry `name` of `profile`.
void addSeconds(std::vector<std::pair<std::string, double>> &profile,
                const std::string &name, double seconds);

/// The sizes of the buffers the runtime allocates for a bundle's plan.
struct PlanShape {
  int64_t dim = 0, vocab = 0, context = 0, kvWidth = 0, layers = 0;
};

/// Reads them from the config and the KV cache bindings, and checks that
/// every buffer any function binds is one of them with its shape and
/// element type (the compiled code trusts these shapes).
Status readPlanShape(const Bundle &bundle, PlanShape &shape);

/// Calls `chunk(first, rows, head)` for each chunk of a run of n tokens
/// (the bundle's prefill_chunk rows each, from token `first` on); `head`:
/// whether the chunk runs the head (the last one, or all with allLogits).
Status forEachChunk(const Bundle &bundle, int64_t n, bool allLogits,
                    const std::function<Status(int64_t first, int64_t rows,
                                               bool head)> &chunk);

/// One call of a plan's function within a chunk.
struct PlanCall {
  const FunctionInfo *function;
  uint32_t layer;
  int64_t rows; // rows of x the call reads (the head of a step reads 1)
  int64_t xRow; // first row of the chunk's x that the call reads
};

/// Calls `call` for every call of the plan for a chunk of `rows` tokens:
/// the head only with `head`, and then on the last row unless allLogits;
/// each function's variant for its rows (`variant`).
Status forEachPlanCall(const Bundle &bundle, int64_t rows, bool allLogits,
                       bool head, int64_t prefillRows,
                       const std::function<Status(const PlanCall &)> &call);

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_PLANCALLS_H
