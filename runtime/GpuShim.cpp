//===- GpuShim.cpp - the mgpu* calls of bundled GPU host code -------------===//
#include "GpuShim.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace itq3::rt {

namespace {

GpuShim *current = nullptr;

/// Kernels are given buffers at the alignment cuMemAlloc guarantees.
constexpr uint64_t kAlignment = 256;
constexpr uint64_t kMinChunk = uint64_t(64) << 20;

} // namespace

GpuShim::~GpuShim() {
  for (const Timed &t : timed) {
    driver.destroyEvent(t.start);
    driver.destroyEvent(t.stop);
  }
  for (auto &[ptr, bytes] : chunks)
    driver.release(ptr);
}

GpuShim::Activation::Activation(GpuShim &shim) : previous(current) {
  current = &shim;
}

GpuShim::Activation::~Activation() { current = previous; }

GpuShim *GpuShim::active() {
  if (!current) {
    // Only a bundle's host code calls mgpu*, and only while a model that
    // loaded it is running it.
    std::fprintf(stderr, "itq3: GPU host code ran outside a GPU model\n");
    std::abort();
  }
  return current;
}

Status GpuShim::takeError() {
  if (error.empty())
    return Status::success();
  Status s = Status::error(error);
  error.clear();
  return s;
}

void GpuShim::fail(const std::string &message) {
  if (error.empty())
    error = message;
}

uint64_t GpuShim::arenaBytes() const {
  uint64_t total = 0;
  for (auto &c : chunks)
    total += c.second;
  return total;
}

void *GpuShim::loadModule(const void *image) {
  void *module = nullptr;
  std::string why;
  if (!driver.loadImage(image, module, why)) {
    fail("loading a kernel module of the bundle: " + why);
    return nullptr;
  }
  modules.push_back(module);
  return module;
}

void GpuShim::unloadModule(void *module) {
  auto it = std::find(modules.begin(), modules.end(), module);
  if (it == modules.end())
    return;
  modules.erase(it);
  for (auto f = functions.begin(); f != functions.end();)
    f = f->first.first == module ? functions.erase(f) : std::next(f);
  driver.unloadModule(module);
}

void *GpuShim::function(void *module, const char *name) {
  if (failed() || !module)
    return nullptr;
  auto key = std::make_pair(module, std::string(name));
  auto it = functions.find(key);
  if (it != functions.end())
    return it->second;
  void *fn = nullptr;
  std::string why;
  if (!driver.function(module, name, fn, why)) {
    fail("kernel " + std::string(name) + ": " + why);
    return nullptr;
  }
  names[fn] = name;
  return functions[key] = fn;
}

Status GpuShim::takeKernelSeconds(std::map<std::string, double> &seconds) {
  std::string why;
  for (const Timed &t : timed) {
    float ms = 0;
    if (error.empty() && driver.elapsed(t.start, t.stop, ms, why))
      seconds[names[t.function]] += ms * 1e-3;
    else
      fail(why);
    driver.destroyEvent(t.start);
    driver.destroyEvent(t.stop);
  }
  timed.clear();
  return takeError();
}

void GpuShim::launch(void *fn, const unsigned grid[3], const unsigned block[3],
                     unsigned sharedBytes, void **params) {
  if (failed())
    return;
  std::string why;
  Timed t{fn, nullptr, nullptr};
  bool ok = !timing || (driver.createEvent(t.start, why) &&
                        driver.createEvent(t.stop, why) &&
                        driver.recordEvent(t.start, stream, why));
  ok = ok &&
       driver.launchOn(stream, fn, grid, block, sharedBytes, params, why) &&
       (!timing || driver.recordEvent(t.stop, stream, why));
  if (timing)
    timed.push_back(t);
  if (!ok) {
    fail(why);
    return;
  }
  ++launchCount;
}

void *GpuShim::allocate(uint64_t bytes) {
  if (failed())
    return nullptr;
  bytes = std::max<uint64_t>(kAlignment, (bytes + kAlignment - 1) /
                                             kAlignment * kAlignment);
  while (chunk < chunks.size() && offset + bytes > chunks[chunk].second)
    ++chunk, offset = 0;
  if (chunk == chunks.size()) {
    uint64_t size = std::max({bytes, kMinChunk, 2 * arenaBytes()});
    CUdeviceptr ptr = 0;
    std::string why;
    if (!driver.allocate(size, ptr, why)) {
      fail("the GPU arena for the host code's buffers (" +
           std::to_string(size >> 20) + " MiB more): " + why);
      return nullptr;
    }
    chunks.push_back({ptr, size});
  }
  void *p = reinterpret_cast<void *>(uintptr_t(chunks[chunk].first + offset));
  offset += bytes;
  return p;
}

} // namespace itq3::rt

using itq3::rt::GpuShim;

// MLIR's CUDA runtime wrapper ABI (mlir/lib/ExecutionEngine/
// CudaRuntimeWrappers.cpp), as the host code declares it.
extern "C" {

void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  return GpuShim::active()->loadModule(data);
}

/// PTX: the driver compiles it at its default optimization level.
void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return GpuShim::active()->loadModule(data);
}

void mgpuModuleUnload(void *module) {
  GpuShim::active()->unloadModule(module);
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  return GpuShim::active()->function(module, name);
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void * /*stream*/,
                      void **params, void ** /*extra*/,
                      size_t /*paramsCount*/) {
  GpuShim *shim = GpuShim::active();
  if (!function) {
    shim->fail("a kernel launch without a function (its lookup failed)");
    return;
  }
  const unsigned grid[3] = {unsigned(gridX), unsigned(gridY), unsigned(gridZ)};
  const unsigned block[3] = {unsigned(blockX), unsigned(blockY),
                             unsigned(blockZ)};
  shim->launch(function, grid, block, unsigned(smem), params);
}

void *mgpuStreamCreate() { return GpuShim::active()->theStream(); }

void mgpuStreamDestroy(void *) {}

void mgpuStreamSynchronize(void *) {}

void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/, bool isHostShared) {
  GpuShim *shim = GpuShim::active();
  if (isHostShared) {
    shim->fail("the host code asks for host-shared memory, which the "
               "runtime does not provide");
    return nullptr;
  }
  return shim->allocate(sizeBytes);
}

void mgpuMemFree(void *, void *) {}

} // extern "C"
