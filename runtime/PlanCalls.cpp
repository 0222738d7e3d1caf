//===- PlanCalls.cpp - the calls a bundle's plan makes --------------------===//
#include "PlanCalls.h"

#include <algorithm>

namespace itq3::rt {

std::string bindLayer(std::string name, uint32_t layer) {
  const std::string key = "{layer}";
  for (size_t at = name.find(key); at != std::string::npos;
       at = name.find(key, at))
    name.replace(at, key.size(), std::to_string(layer));
  return name;
}

std::vector<int64_t> descriptor(uint64_t address,
                                const std::vector<int64_t> &sizes) {
  std::vector<int64_t> d = {int64_t(address), int64_t(address), 0};
  d.insert(d.end(), sizes.begin(), sizes.end());
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t i = sizes.size(); i-- > 1;)
    strides[i - 1] = strides[i] * sizes[i];
  d.insert(d.end(), strides.begin(), strides.end());
  return d;
}

bool hasBuffer(const FunctionInfo &f, const char *name) {
  return std::any_of(f.params.begin(), f.params.end(), [&](const auto &p) {
    return p.kind == ArgKind::Buffer && p.name == name;
  });
}

const FunctionInfo &variant(const Bundle &bundle, const std::string &name,
                            int64_t rows, int64_t prefillRows) {
  const FunctionInfo *prefill = bundle.findFunction(name + "_prefill");
  if (prefill && prefillRows > 0 && rows >= prefillRows)
    return *prefill;
  return *bundle.findFunction(name);
}

Status checkRun(const int32_t *tokens, int64_t n, int64_t pos,
                int64_t context, int64_t vocab) {
  if (n <= 0 || pos < 0 || pos + n > context)
    return Status::error(
        "context overflow: positions " + std::to_string(pos) + ".." +
        std::to_string(pos + n - 1) + " do not fit the compiled context of " +
        std::to_string(context) + " (itq3-compile --ctx)");
  for (int64_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || tokens[t] >= vocab)
      return Status::error("token id " + std::to_string(tokens[t]) +
                           " outside the vocabulary of " +
                           std::to_string(vocab));
  return Status::success();
}

Status bindCall(const Bundle &bundle, const FunctionInfo &f, uint32_t layer,
                int64_t rows, int64_t pos,
                const std::function<uint64_t(const TensorInfo &)> &tensorAddress,
                const CallBuffers &buffers, CallArgs &out) {
  size_t n = f.params.size();
  out.descriptors.assign(n, {});
  out.pointers.assign(n, nullptr);
  out.args.assign(n, nullptr);
  out.scalars.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const ParamBinding &p = f.params[i];
    if (p.kind == ArgKind::Scalar) {
      if (p.name != "pos")
        return Status::error("unknown scalar binding " + p.name);
      out.scalars[i] = pos;
      out.args[i] = &out.scalars[i];
      continue;
    }
    uint64_t address = 0;
    if (p.kind == ArgKind::Tensor) {
      const TensorInfo *t = bundle.findTensor(bindLayer(p.name, layer));
      if (!t)
        return Status::error("no tensor " + bindLayer(p.name, layer));
      address = tensorAddress(*t);
    } else if (p.name == "x") {
      address = buffers.x;
    } else if (p.name == "tokens") {
      address = buffers.tokens;
    } else if (p.name == "logits") {
      address = buffers.logits;
    } else if (p.name == "kcache") {
      address = buffers.kcache;
    } else if (p.name == "vcache") {
      address = buffers.vcache;
    } else {
      return Status::error("unknown buffer binding " + p.name);
    }
    std::vector<int64_t> sizes = p.sizes;
    for (int64_t &s : sizes)
      if (s < 0)
        s = rows;
    out.descriptors[i] = descriptor(address, sizes);
    out.pointers[i] = out.descriptors[i].data();
    out.args[i] = &out.pointers[i];
  }
  return Status::success();
}

void addSeconds(std::vector<std::pair<std::string, double>> &profile,
                const std::string &name, double seconds) {
  auto it = std::find_if(profile.begin(), profile.end(),
                         [&](const auto &e) { return e.first == name; });
  if (it == profile.end())
    profile.push_back({name, seconds});
  else
    it->second += seconds;
}

namespace {

Status checkBuffers(const FunctionInfo &f, const PlanShape &shape) {
  for (const ParamBinding &p : f.params) {
    if (p.kind != ArgKind::Buffer)
      continue;
    std::vector<int64_t> expected;
    ElementType type = ElementType::F32;
    if (p.name == "x")
      expected = {-1, shape.dim};
    else if (p.name == "logits")
      expected = {-1, shape.vocab};
    else if (p.name == "tokens")
      expected = {-1}, type = ElementType::I32;
    else if (p.name == "kcache" || p.name == "vcache")
      expected = {shape.context, shape.kvWidth};
    else
      return Status::error("function " + f.name + " binds an unknown buffer " +
                           p.name);
    if (p.sizes != expected || p.elementType != type)
      return Status::error("function " + f.name + " binds buffer " + p.name +
                           " with a shape the runtime does not allocate");
  }
  return Status::success();
}

} // namespace

Status readPlanShape(const Bundle &bundle, PlanShape &shape) {
  shape = PlanShape();
  if (Status s = bundle.configInt("dim", shape.dim); !s)
    return s;
  if (Status s = bundle.configInt("vocab_size", shape.vocab); !s)
    return s;
  for (const PlanStep &step : bundle.plan())
    for (const ParamBinding &p : bundle.findFunction(step.function)->params)
      if (p.kind == ArgKind::Buffer && p.name == "kcache") {
        if (p.sizes.size() != 2 || p.sizes[0] <= 0 || p.sizes[1] <= 0)
          return Status::error("the KV cache binding of " + step.function +
                               " has no static [context, width] shape");
        shape.context = p.sizes[0];
        shape.kvWidth = p.sizes[1];
        shape.layers = std::max<int64_t>(shape.layers, step.repeat);
      }
  if (shape.context <= 0)
    return Status::error("no function of the plan takes a KV cache");
  for (const FunctionInfo &f : bundle.functions())
    if (Status s = checkBuffers(f, shape); !s)
      return s;
  return Status::success();
}

Status forEachChunk(const Bundle &bundle, int64_t n, bool allLogits,
                    const std::function<Status(int64_t first, int64_t rows,
                                               bool head)> &chunk) {
  int64_t size = bundle.meta().prefillChunk > 0 ? bundle.meta().prefillChunk
                                                : n;
  for (int64_t first = 0; first < n; first += size) {
    int64_t rows = std::min(size, n - first);
    if (Status s = chunk(first, rows, allLogits || first + rows == n); !s)
      return s;
  }
  return Status::success();
}

Status forEachPlanCall(const Bundle &bundle, int64_t rows, bool allLogits,
                       bool head, int64_t prefillRows,
                       const std::function<Status(const PlanCall &)> &call) {
  for (const PlanStep &step : bundle.plan()) {
    bool isHead = hasBuffer(*bundle.findFunction(step.function), "logits");
    if (isHead && !head)
      continue;
    // The head of a decode or generation step reads only the last row.
    int64_t callRows = isHead && !allLogits ? 1 : rows;
    const FunctionInfo &f =
        variant(bundle, step.function, callRows, prefillRows);
    for (uint32_t l = 0; l < step.repeat; ++l)
      if (Status s = call({&f, l, callRows, rows - callRows}); !s)
        return s;
  }
  return Status::success();
}

} // namespace itq3::rt
