//===- GpuModel.cpp - Runs a bundle's compiled GPU code -------------------===//
#include "itq3/Runtime/GpuModel.h"

#include "GpuShim.h"
#include "PlanCalls.h"

#include <algorithm>

namespace itq3::rt {

namespace {

/// "sm_90" -> 90, or -1.
int chipNumber(const std::string &chip) {
  if (chip.rfind("sm_", 0) != 0 || chip.size() < 4)
    return -1;
  int v = 0;
  for (char c : chip.substr(3)) {
    if (c < '0' || c > '9')
      return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string codeList(const Bundle &bundle) {
  std::string list;
  for (const CodeObject &c : bundle.code())
    list += (list.empty() ? "" : ", ") + c.target +
            (c.target == "ptx" ? " (" + c.arch + ")" : "");
  return list.empty() ? "nothing" : list;
}

} // namespace

GpuModel::GpuModel(const Bundle &bundle, std::unique_ptr<CudaDriver> driver,
                   Options options)
    : bundle_(bundle), driver_(std::move(driver)), options_(options) {}

Status GpuModel::create(const Bundle &bundle,
                        std::unique_ptr<CudaDriver> driver, Options options,
                        std::unique_ptr<GpuModel> &out) {
  std::unique_ptr<GpuModel> model(
      new GpuModel(bundle, std::move(driver), options));
  if (Status s = model->prepare(); !s)
    return s;
  out = std::move(model);
  return Status::success();
}

GpuModel::~GpuModel() {
  if (shim_) {
    // Unloading the host code runs its destructors, which unload the
    // kernel modules through the shim.
    GpuShim::Activation active(*shim_);
    object_.reset();
    if (graph_)
      driver_->destroyGraphExec(graph_);
    shim_.reset();
  }
  for (CUdeviceptr p : {tensors_, keyCache_, valueCache_, x_, tokens_, logits_})
    driver_->release(p);
  driver_->destroyStream(stream_);
}

Status GpuModel::selectCode() {
  std::string why;
  int major = 0, minor = 0;
  if (!driver_->computeCapability(major, minor, why))
    return Status::error(why);
  int device = major * 10 + minor;
  arch_ = "sm_" + std::to_string(device);
  // A cubin runs on GPUs of its major version and a minor at least its
  // own: the closest one, else the PTX of a chip no newer than the GPU.
  int best = -1;
  for (const CodeObject &c : bundle_.code()) {
    int chip = chipNumber(c.target);
    if (chip / 10 == major && chip <= device && chip > best)
      best = chip, code_ = &c;
  }
  if (!code_) {
    const CodeObject *ptx = bundle_.findCode("ptx");
    int made = ptx ? chipNumber(ptx->arch) : -1;
    if (made > 0 && made <= device)
      code_ = ptx;
  }
  if (!code_)
    return Status::error("the bundle holds no code for this GPU (" + arch_ +
                         ", " + driver_->deviceName() + "): it holds " +
                         codeList(bundle_) +
                         "; recompile with itq3-compile --target " + arch_);
  return Status::success();
}

Status GpuModel::prepare() {
  if (Status s = selectCode(); !s)
    return s;
  PlanShape shape;
  if (Status s = readPlanShape(bundle_, shape); !s)
    return s;
  dim_ = shape.dim, vocab_ = shape.vocab, context_ = shape.context;
  kvWidth_ = shape.kvWidth, layers_ = shape.layers;
  chunkRows_ = bundle_.meta().prefillChunk > 0 ? bundle_.meta().prefillChunk
                                               : context_;
  std::string why;
  if (!driver_->createStream(stream_, why))
    return Status::error(why);
  shim_ = std::make_unique<GpuShim>(*driver_, stream_);
  {
    GpuShim::Activation active(*shim_);
    if (Status s = SharedObject::load(code_->data, code_->size, object_); !s)
      return Status::error("cannot load the bundle's " + code_->target +
                           " host code: " + s.message());
    if (Status s = shim_->takeError(); !s)
      return s;
  }
  for (const FunctionInfo &f : bundle_.functions()) {
    void *entry = object_->symbol(f.entry);
    if (!entry)
      return Status::error("the bundle's " + code_->target +
                           " code has no entry point " + f.entry);
    entries_.push_back(entry);
  }
  if (bundle_.meta().config.count("prefill_rows"))
    if (Status s = bundle_.configInt("prefill_rows", prefillRows_); !s)
      return s;
  return upload();
}

Status GpuModel::upload() {
  // The tensors lie in one span of the mapped file: one copy of it, and
  // each tensor's device address is the copy's plus its offset in the span
  // (which keeps the file's alignment of each tensor).
  const uint8_t *end = nullptr;
  for (const TensorInfo &t : bundle_.tensors()) {
    if (!hostTensors_ || t.data < hostTensors_)
      hostTensors_ = t.data;
    end = std::max(end, t.data + t.size);
  }
  tensorBytes_ = hostTensors_ ? uint64_t(end - hostTensors_) : 0;
  size_t cache = size_t(layers_ * context_ * kvWidth_) * sizeof(float);
  std::string why;
  auto allocate = [&](uint64_t bytes, CUdeviceptr &ptr, const char *what) {
    if (driver_->allocate(std::max<uint64_t>(bytes, 1), ptr, why))
      return Status::success();
    return Status::error(std::string("cannot allocate ") + what + " (" +
                         std::to_string(bytes >> 20) + " MiB) on the GPU: " +
                         why);
  };
  for (auto [bytes, ptr, what] :
       {std::tuple<uint64_t, CUdeviceptr *, const char *>{
            tensorBytes_, &tensors_, "the weights"},
        {cache, &keyCache_, "the key cache"},
        {cache, &valueCache_, "the value cache"},
        {uint64_t(chunkRows_ * dim_) * sizeof(float), &x_, "the activations"},
        {uint64_t(chunkRows_) * sizeof(int32_t), &tokens_, "the token ids"},
        {uint64_t(chunkRows_ * vocab_) * sizeof(float), &logits_,
         "the logits"}})
    if (Status s = allocate(bytes, *ptr, what); !s)
      return s;
  if (tensorBytes_ &&
      !driver_->copyToDevice(tensors_, hostTensors_, tensorBytes_, why))
    return Status::error("uploading the weights: " + why);
  stats_.weightBytes = tensorBytes_;
  stats_.cacheBytes = 2 * cache;
  return Status::success();
}

std::string GpuModel::backend() const {
  return "cuda: " + driver_->deviceName() + " (" + arch_ + ", " +
         (code_->target == "ptx" ? "PTX of " + code_->arch + " compiled by "
                                   "the driver"
          : code_->target == arch_ ? "cubin"
                                   : code_->target + " cubin") +
         ")";
}

GpuModel::Stats GpuModel::stats() const {
  Stats s = stats_;
  s.launches = shim_->launches();
  s.arenaBytes = shim_->arenaBytes();
  return s;
}

void GpuModel::setKernelTiming(bool on) {
  kernelTiming_ = on;
  shim_->setTiming(on);
}

Status GpuModel::takeKernelSeconds(std::map<std::string, double> &seconds) {
  return shim_->takeKernelSeconds(seconds);
}

Status GpuModel::call(const FunctionInfo &f, uint32_t layer, int64_t rows,
                      int64_t pos, CUdeviceptr tokens, CUdeviceptr x,
                      CUdeviceptr logits) {
  uint64_t cacheSlice =
      uint64_t(layer) * uint64_t(context_ * kvWidth_) * sizeof(float);
  CallBuffers buffers{x, tokens, logits, keyCache_ + cacheSlice,
                      valueCache_ + cacheSlice};
  CallArgs args;
  if (Status s = bindCall(
          bundle_, f, layer, rows, pos,
          [&](const TensorInfo &t) {
            return uint64_t(tensors_ + uint64_t(t.data - hostTensors_));
          },
          buffers, args);
      !s)
    return s;
  void *entry = entries_[size_t(&f - bundle_.functions().data())];
  shim_->rewindArena();
  reinterpret_cast<void (*)(void **)>(entry)(args.args.data());
  return shim_->takeError();
}

Status GpuModel::callPlan(int64_t rows, int64_t pos, bool allLogits,
                          bool head) {
  return forEachPlanCall(
      bundle_, rows, allLogits, head, prefillRows_, [&](const PlanCall &c) {
        return call(*c.function, c.layer, c.rows, pos, tokens_,
                    x_ + uint64_t(c.xRow * dim_) * sizeof(float), logits_);
      });
}

Status GpuModel::run(const int32_t *tokens, int64_t n, int64_t pos,
                     std::vector<float> &logits, bool allLogits) {
  if (Status s = checkRun(tokens, n, pos, context_, vocab_); !s)
    return s;
  GpuShim::Activation active(*shim_);
  logits.assign(size_t((allLogits ? n : 1) * vocab_), 0.0f);
  // The device buffers hold one chunk: its tokens go up, its logits (when
  // it runs the head) come back.
  auto chunk = [&](int64_t first, int64_t rows, bool head) {
    std::string why;
    if (!driver_->copyToDeviceAsync(tokens_, tokens + first,
                                    size_t(rows) * sizeof(int32_t), stream_,
                                    why))
      return Status::error(why);
    bool graph = options_.graphs && !kernelTiming_ && rows == 1 &&
                 driver_->hasGraphs();
    if (Status s = graph ? decodeGraph(pos + first, head)
                         : callPlan(rows, pos + first, allLogits, head);
        !s)
      return s;
    if (head &&
        !driver_->copyToHostAsync(
            logits.data() + (allLogits ? first * vocab_ : 0), logits_,
            size_t((allLogits ? rows : 1) * vocab_) * sizeof(float), stream_,
            why))
      return Status::error(why);
    return Status::success();
  };
  Status status = Status::success();
  float ms = 0;
  std::string why;
  if (!driver_->timeOnStream(
          stream_,
          [&](std::string &error) {
            status = forEachChunk(bundle_, n, allLogits, chunk);
            error = status ? "" : status.message();
            return bool(status);
          },
          ms, why))
    return status ? Status::error(why) : status;
  addSeconds(profile_, n == 1 ? "decode steps (events)" : "prefill (events)",
             ms * 1e-3);
  return Status::success();
}

Status GpuModel::decodeGraph(int64_t pos, bool head) {
  std::string why;
  if (!driver_->beginCapture(stream_, why))
    return Status::error(why);
  Status captured = callPlan(1, pos, /*allLogits=*/false, head);
  void *graph = nullptr;
  bool ended = driver_->endCapture(stream_, graph, why);
  if (!captured || !ended) {
    driver_->destroyGraph(graph);
    return captured ? Status::error(why) : captured;
  }
  bool ok = true;
  if (graph_ && driver_->update(graph_, graph)) {
    ++stats_.graphUpdates;
  } else {
    driver_->destroyGraphExec(graph_);
    graph_ = nullptr;
    ok = driver_->instantiate(graph, graph_, why);
    stats_.graphInstantiations += ok;
  }
  driver_->destroyGraph(graph);
  if (!ok || !driver_->launchGraph(graph_, stream_, why))
    return Status::error(why);
  ++stats_.graphSteps;
  return Status::success();
}

} // namespace itq3::rt
