//===- CpuModel.cpp - Runs a bundle's compiled CPU code -------------------===//
#include "itq3/Runtime/CpuModel.h"
#include "itq3/Runtime/CpuFeatures.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <unistd.h>

namespace itq3::rt {

namespace {

/// `name` with every "{layer}" replaced by `layer`.
std::string bindLayer(std::string name, uint32_t layer) {
  const std::string key = "{layer}";
  for (size_t at = name.find(key); at != std::string::npos;
       at = name.find(key, at))
    name.replace(at, key.size(), std::to_string(layer));
  return name;
}

/// A ranked memref descriptor as the compiled code's C interface reads it:
/// allocated and aligned pointers, offset, sizes, strides (row-major).
std::vector<int64_t> descriptor(const void *data,
                                const std::vector<int64_t> &sizes) {
  std::vector<int64_t> d = {int64_t(reinterpret_cast<intptr_t>(data)),
                            int64_t(reinterpret_cast<intptr_t>(data)), 0};
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

} // namespace

Status CpuModel::create(const Bundle &bundle, unsigned threads,
                        std::unique_ptr<CpuModel> &out) {
  // libomp reads its thread count once, when the code first loads it.
  if (threads > 0)
    setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  std::unique_ptr<CpuModel> model(new CpuModel(bundle));
  if (Status s = model->prepare(); !s)
    return s;
  out = std::move(model);
  return Status::success();
}

Status CpuModel::prepare() {
  const CodeObject *code = bundle_.findCode("cpu");
  if (!code)
    return Status::error("this bundle holds no CPU code: recompile it with "
                         "itq3-compile --target cpu");
  auto features = bundle_.meta().config.find("cpu_features");
  if (features != bundle_.meta().config.end())
    if (Status s = checkCpuFeatures(features->second); !s)
      return s;
  if (Status s = SharedObject::load(code->data, code->size, code_); !s)
    return Status::error("cannot load the bundle's CPU code: " + s.message());
  for (const FunctionInfo &f : bundle_.functions()) {
    void *entry = f.target == "cpu" ? code_->symbol(f.entry) : nullptr;
    if (f.target == "cpu" && !entry)
      return Status::error("the bundle's CPU code has no entry point " +
                           f.entry);
    entries_.push_back(entry);
  }
  // One accumulator pair per tile variant (ProfileOps.cpp names them).
  for (const char *timers :
       {"__itq3_profile_seconds", "__itq3_profile_seconds_prefill"})
    if (void *p = code_->symbol(timers))
      opTimers_.push_back(static_cast<const double *>(p));
  if (Status s = bundle_.configInt("dim", dim_); !s)
    return s;
  if (Status s = bundle_.configInt("vocab_size", vocab_); !s)
    return s;
  if (bundle_.meta().config.count("prefill_rows"))
    if (Status s = bundle_.configInt("prefill_rows", prefillRows_); !s)
      return s;
  for (const PlanStep &step : bundle_.plan()) {
    const FunctionInfo *f = bundle_.findFunction(step.function);
    if (f->target != "cpu")
      return Status::error("plan step " + step.function +
                           " is not CPU code");
    for (const ParamBinding &p : f->params)
      if (p.kind == ArgKind::Buffer && p.name == "kcache") {
        if (p.sizes.size() != 2 || p.sizes[0] <= 0 || p.sizes[1] <= 0)
          return Status::error("the KV cache binding of " + f->name +
                               " has no static [context, width] shape");
        context_ = p.sizes[0];
        kvWidth_ = p.sizes[1];
        layers_ = std::max<int64_t>(layers_, step.repeat);
      }
  }
  if (context_ <= 0)
    return Status::error("no function of the plan takes a KV cache");
  for (const FunctionInfo &f : bundle_.functions())
    if (Status s = checkBuffers(f); !s)
      return s;
  uint64_t bytes = 2 * uint64_t(layers_ * context_ * kvWidth_) * sizeof(float);
  uint64_t memory = uint64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  if (bytes > memory)
    return Status::error("a KV cache of " + std::to_string(bytes >> 20) +
                         " MiB does not fit in memory: recompile with a "
                         "smaller itq3-compile --ctx");
  size_t cache = size_t(layers_ * context_ * kvWidth_);
  keyCache_.assign(cache, 0.0f);
  valueCache_.assign(cache, 0.0f);
  return Status::success();
}

Status CpuModel::checkBuffers(const FunctionInfo &f) const {
  // The compiled code trusts these shapes: each must be the buffer the
  // runtime allocates.
  for (const ParamBinding &p : f.params) {
    if (p.kind != ArgKind::Buffer)
      continue;
    std::vector<int64_t> expected;
    ElementType type = ElementType::F32;
    if (p.name == "x")
      expected = {-1, dim_};
    else if (p.name == "logits")
      expected = {-1, vocab_};
    else if (p.name == "tokens")
      expected = {-1}, type = ElementType::I32;
    else if (p.name == "kcache" || p.name == "vcache")
      expected = {context_, kvWidth_};
    else
      return Status::error("function " + f.name + " binds an unknown buffer " +
                           p.name);
    if (p.sizes != expected || p.elementType != type)
      return Status::error("function " + f.name + " binds buffer " + p.name +
                           " with a shape the runtime does not allocate");
  }
  return Status::success();
}

Status CpuModel::call(const FunctionInfo &f, uint32_t layer, int64_t rows,
                      int64_t pos, const int32_t *tokens, float *x,
                      float *logits) {
  size_t n = f.params.size();
  std::vector<std::vector<int64_t>> descriptors(n);
  std::vector<void *> pointers(n), args(n);
  std::vector<int64_t> scalars(n);
  size_t cacheSlice = size_t(layer) * size_t(context_ * kvWidth_);
  for (size_t i = 0; i < n; ++i) {
    const ParamBinding &p = f.params[i];
    if (p.kind == ArgKind::Scalar) {
      if (p.name != "pos")
        return Status::error("unknown scalar binding " + p.name);
      scalars[i] = pos;
      args[i] = &scalars[i];
      continue;
    }
    const void *data = nullptr;
    if (p.kind == ArgKind::Tensor) {
      const TensorInfo *t = bundle_.findTensor(bindLayer(p.name, layer));
      if (!t)
        return Status::error("no tensor " + bindLayer(p.name, layer));
      data = t->data;
    } else if (p.name == "x") {
      data = x;
    } else if (p.name == "tokens") {
      data = tokens;
    } else if (p.name == "logits") {
      data = logits;
    } else if (p.name == "kcache") {
      data = keyCache_.data() + cacheSlice;
    } else if (p.name == "vcache") {
      data = valueCache_.data() + cacheSlice;
    } else {
      return Status::error("unknown buffer binding " + p.name);
    }
    std::vector<int64_t> sizes = p.sizes;
    for (int64_t &s : sizes)
      if (s < 0)
        s = rows;
    descriptors[i] = descriptor(data, sizes);
    pointers[i] = descriptors[i].data();
    args[i] = &pointers[i];
  }
  auto start = std::chrono::steady_clock::now();
  reinterpret_cast<void (*)(void **)>(
      entries_[size_t(&f - bundle_.functions().data())])(args.data());
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  auto it = std::find_if(profile_.begin(), profile_.end(),
                         [&](const auto &e) { return e.first == f.name; });
  if (it == profile_.end())
    profile_.push_back({f.name, seconds});
  else
    it->second += seconds;
  return Status::success();
}

const FunctionInfo &CpuModel::variant(const std::string &name,
                                      int64_t rows) const {
  const FunctionInfo *prefill = bundle_.findFunction(name + "_prefill");
  if (prefill && prefillRows_ > 0 && rows >= prefillRows_)
    return *prefill;
  return *bundle_.findFunction(name);
}

Status CpuModel::run(const int32_t *tokens, int64_t n, int64_t pos,
                     std::vector<float> &logits, bool allLogits) {
  if (n <= 0 || pos < 0 || pos + n > context_)
    return Status::error(
        "context overflow: positions " + std::to_string(pos) + ".." +
        std::to_string(pos + n - 1) + " do not fit the compiled context of " +
        std::to_string(context_) + " (itq3-compile --ctx)");
  for (int64_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || tokens[t] >= vocab_)
      return Status::error("token id " + std::to_string(tokens[t]) +
                           " outside the vocabulary of " +
                           std::to_string(vocab_));
  int64_t chunk = bundle_.meta().prefillChunk > 0 ? bundle_.meta().prefillChunk
                                                  : n;
  logits.assign(size_t((allLogits ? n : 1) * vocab_), 0.0f);
  for (int64_t first = 0; first < n; first += chunk) {
    int64_t rows = std::min(chunk, n - first);
    bool last = first + rows == n;
    x_.assign(size_t(rows * dim_), 0.0f);
    for (const PlanStep &step : bundle_.plan()) {
      bool head = hasBuffer(*bundle_.findFunction(step.function), "logits");
      if (head && !allLogits && !last)
        continue;
      // The head of a decode or generation step reads only the last row.
      int64_t callRows = head && !allLogits ? 1 : rows;
      const FunctionInfo &f = variant(step.function, callRows);
      float *in = x_.data() + (rows - callRows) * dim_;
      float *out = logits.data() + (allLogits ? first * vocab_ : 0);
      for (uint32_t l = 0; l < step.repeat; ++l)
        if (Status s = call(f, l, callRows, pos + first, tokens + first, in,
                            out);
            !s)
          return s;
    }
  }
  return Status::success();
}

bool CpuModel::opSeconds(OpSeconds &out) const {
  out = OpSeconds();
  for (const double *t : opTimers_) {
    out.products += t[0];
    out.attention += t[1];
  }
  return !opTimers_.empty();
}

} // namespace itq3::rt
