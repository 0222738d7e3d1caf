//===- CpuModel.cpp - Runs a bundle's compiled CPU code -------------------===//
#include "itq3/Runtime/CpuModel.h"
#include "itq3/Runtime/CpuFeatures.h"

#include "PlanCalls.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <unistd.h>

namespace itq3::rt {

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
  if (bundle_.meta().config.count("prefill_rows"))
    if (Status s = bundle_.configInt("prefill_rows", prefillRows_); !s)
      return s;
  for (const PlanStep &step : bundle_.plan())
    if (bundle_.findFunction(step.function)->target != "cpu")
      return Status::error("plan step " + step.function +
                           " is not CPU code");
  PlanShape shape;
  if (Status s = readPlanShape(bundle_, shape); !s)
    return s;
  dim_ = shape.dim, vocab_ = shape.vocab, context_ = shape.context;
  kvWidth_ = shape.kvWidth, layers_ = shape.layers;
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

Status CpuModel::call(const FunctionInfo &f, uint32_t layer, int64_t rows,
                      int64_t pos, const int32_t *tokens, float *x,
                      float *logits) {
  size_t cacheSlice = size_t(layer) * size_t(context_ * kvWidth_);
  auto address = [](const void *p) { return uint64_t(uintptr_t(p)); };
  CallBuffers buffers{address(x), address(tokens), address(logits),
                      address(keyCache_.data() + cacheSlice),
                      address(valueCache_.data() + cacheSlice)};
  CallArgs args;
  if (Status s = bindCall(
          bundle_, f, layer, rows, pos,
          [&](const TensorInfo &t) { return address(t.data); }, buffers, args);
      !s)
    return s;
  auto start = std::chrono::steady_clock::now();
  reinterpret_cast<void (*)(void **)>(
      entries_[size_t(&f - bundle_.functions().data())])(args.args.data());
  addSeconds(profile_, f.name,
             std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
                 .count());
  return Status::success();
}

Status CpuModel::run(const int32_t *tokens, int64_t n, int64_t pos,
                     std::vector<float> &logits, bool allLogits) {
  if (Status s = checkRun(tokens, n, pos, context_, vocab_); !s)
    return s;
  logits.assign(size_t((allLogits ? n : 1) * vocab_), 0.0f);
  return forEachChunk(bundle_, n, allLogits, [&](int64_t first, int64_t rows,
                                                 bool head) {
    x_.assign(size_t(rows * dim_), 0.0f);
    float *out = logits.data() + (allLogits ? first * vocab_ : 0);
    return forEachPlanCall(
        bundle_, rows, allLogits, head, prefillRows_, [&](const PlanCall &c) {
          return call(*c.function, c.layer, c.rows, pos + first,
                      tokens + first, x_.data() + c.xRow * dim_, out);
        });
  });
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
