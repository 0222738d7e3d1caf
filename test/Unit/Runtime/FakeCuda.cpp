//===- FakeCuda.cpp - a CUDA driver that runs emulated kernels on the CPU -===//
//
// A stand-in for libcuda.so.1 (ITQ3_CUDA_DRIVER=path) with the driver calls
// the runtime makes, so that its CUDA backend runs where no GPU is:
//
// - device memory is host memory from its own allocations, and every
//   address a copy or a kernel gets must lie in a live one (a host pointer
//   given to a kernel is an error, as it would fault on a GPU);
// - modules are the bundle's cubins or PTX as given; a kernel looked up in
//   one must be named in it, and runs as its emulation from the shared
//   object ITQ3_FAKE_CUDA_KERNELS names (itq3-compile
//   --emit-emulated-kernels), through `__itq3_launch_<kernel>`, whose
//   signature string says how many parameters of which sizes it takes;
// - a stream is the order of calls: work runs when it is issued, except
//   while a stream is captured: then launches are recorded, with copies of
//   their parameters, into the graph, and copies or synchronizations are
//   errors, as they are for real captures; an instantiated graph replays
//   its launches, and an update must keep the kernels in the same order;
// - launches are checked against the hardware's limits (1024 threads per
//   block, at most 64 in z, grids of at most 65535 in y and z);
// - the device is sm_<ITQ3_FAKE_CUDA_ARCH> (90 when unset);
// - with ITQ3_FAKE_CUDA_SKIP_KERNELS set, launches are checked but their
//   kernels not run: the protocol of a large model, quickly (its logits
//   are then meaningless).
//
// itq3FakeCudaStats() reports what happened, for the tests.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

using CUresult = int;

extern "C" struct FakeCudaStats {
  uint64_t launches, graphLaunches, graphUpdates, graphInstantiations;
  uint64_t liveAllocations, modules;
};

namespace {

enum : CUresult {
  kSuccess = 0,
  kInvalidValue = 1,
  kOutOfMemory = 2,
  kInvalidImage = 200,
  kInvalidHandle = 400,
  kNotFound = 500,
  kIllegalAddress = 700,
  kLaunchFailed = 719,
  kCaptureUnsupported = 900,
  kUpdateFailure = 910,
};

using Launcher = void (*)(void **, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t);

struct Function {
  std::string name;
  Launcher launcher;
  std::string signature; // one letter per parameter
};

struct Launch {
  Function *function;
  int64_t grid[3], block[3];
  std::vector<uint64_t> values; // each parameter, zero-extended
};

struct Graph {
  std::vector<Launch> launches;
};

struct Module {
  std::string image; // PTX text, or the cubin's bytes
};

struct State {
  std::map<uint64_t, size_t> allocations; // address -> bytes
  std::vector<std::unique_ptr<Module>> modules;
  std::vector<std::unique_ptr<Function>> functions;
  std::vector<std::unique_ptr<Graph>> graphs;
  void *kernels = nullptr;
  std::string kernelsPath;
  Graph *capture = nullptr;
  FakeCudaStats stats = {};
  std::string message;
};

State &state() {
  static State s;
  return s;
}

CUresult fail(CUresult code, const std::string &message) {
  state().message = message;
  return code;
}

bool inside(uint64_t address, size_t bytes) {
  auto &a = state().allocations;
  auto it = a.upper_bound(address);
  if (it == a.begin())
    return false;
  --it;
  return address >= it->first && address + bytes <= it->first + it->second;
}

size_t parameterBytes(char letter) {
  return letter == 'w' || letter == 'f' ? 4 : 8;
}

CUresult run(const Launch &l) {
  ++state().stats.launches;
  static const bool skip = std::getenv("ITQ3_FAKE_CUDA_SKIP_KERNELS");
  if (skip)
    return kSuccess;
  std::vector<void *> pointers;
  for (const uint64_t &v : l.values)
    pointers.push_back(const_cast<uint64_t *>(&v));
  l.function->launcher(pointers.data(), l.grid[0], l.grid[1], l.grid[2],
                       l.block[0], l.block[1], l.block[2]);
  return kSuccess;
}

/// The size of a cubin (an ELF file) from its header: its section headers
/// come last.
size_t elfSize(const unsigned char *b) {
  uint64_t shoff;
  uint16_t shentsize, shnum;
  std::memcpy(&shoff, b + 0x28, 8);
  std::memcpy(&shentsize, b + 0x3A, 2);
  std::memcpy(&shnum, b + 0x3C, 2);
  return size_t(shoff + uint64_t(shentsize) * shnum);
}

bool names(const Module &m, const std::string &kernel) {
  if (m.image.rfind("\x7f" "ELF", 0) == 0)
    return m.image.find(std::string(1, '\0') + kernel + std::string(1, '\0')) !=
           std::string::npos;
  return m.image.find(".entry " + kernel + "(") != std::string::npos;
}

CUresult copy(void *dst, const void *src, size_t bytes, bool toDevice,
              bool fromDevice) {
  if (state().capture)
    return fail(kCaptureUnsupported, "a copy while the stream is captured");
  uint64_t d = uint64_t(uintptr_t(dst)), s = uint64_t(uintptr_t(src));
  if ((toDevice && !inside(d, bytes)) || (fromDevice && !inside(s, bytes)))
    return fail(kIllegalAddress, "a copy outside device memory");
  std::memcpy(dst, src, bytes);
  return kSuccess;
}

/// The entry of `owned` whose object is `handle`, or its end.
template <typename T>
auto findOwned(std::vector<std::unique_ptr<T>> &owned, const void *handle) {
  return std::find_if(owned.begin(), owned.end(),
                      [&](const auto &p) { return p.get() == handle; });
}

/// Frees the object behind `handle`; an error unless `owned` holds it.
template <typename T>
CUresult release(std::vector<std::unique_ptr<T>> &owned, void *handle,
                 const char *what) {
  auto it = findOwned(owned, handle);
  if (it == owned.end())
    return fail(kInvalidHandle, std::string("an unknown ") + what);
  owned.erase(it);
  return kSuccess;
}

} // namespace

extern "C" {

void itq3FakeCudaStats(FakeCudaStats *out) {
  *out = state().stats;
  out->liveAllocations = state().allocations.size();
  out->modules = state().modules.size();
}

CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return ordinal == 0 ? kSuccess : kInvalidValue;
}
CUresult cuDeviceGetName(char *name, int length, int) {
  std::strncpy(name, "itq3 fake GPU (kernels emulated on the CPU)",
               size_t(length - 1));
  return kSuccess;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int) {
  const char *arch = std::getenv("ITQ3_FAKE_CUDA_ARCH");
  int sm = arch && *arch ? std::atoi(arch) : 90;
  if (attribute == 75)
    *value = sm / 10;
  else if (attribute == 76)
    *value = sm % 10;
  else
    return fail(kInvalidValue, "attribute not modeled");
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
  *context = &state();
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
CUresult cuCtxSetCurrent(void *) { return kSuccess; }

CUresult cuGetErrorString(CUresult, const char **text) {
  *text = state().message.c_str();
  return kSuccess;
}

CUresult cuMemAlloc_v2(uint64_t *ptr, size_t bytes) {
  void *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!p)
    return fail(kOutOfMemory, "out of memory");
  *ptr = uint64_t(uintptr_t(p));
  state().allocations[*ptr] = bytes;
  return kSuccess;
}
CUresult cuMemFree_v2(uint64_t ptr) {
  if (!state().allocations.erase(ptr))
    return fail(kInvalidValue, "cuMemFree of an address never allocated");
  std::free(reinterpret_cast<void *>(uintptr_t(ptr)));
  return kSuccess;
}

CUresult cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes) {
  return copy(reinterpret_cast<void *>(uintptr_t(dst)), src, bytes, true,
              false);
}
CUresult cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes) {
  return copy(dst, reinterpret_cast<void *>(uintptr_t(src)), bytes, false,
              true);
}
CUresult cuMemcpyDtoD_v2(uint64_t dst, uint64_t src, size_t bytes) {
  return copy(reinterpret_cast<void *>(uintptr_t(dst)),
              reinterpret_cast<void *>(uintptr_t(src)), bytes, true, true);
}
CUresult cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes,
                              void *) {
  return cuMemcpyHtoD_v2(dst, src, bytes);
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *) {
  return cuMemcpyDtoH_v2(dst, src, bytes);
}

CUresult cuModuleLoadData(void **module, const void *image) {
  const auto *b = static_cast<const unsigned char *>(image);
  auto m = std::make_unique<Module>();
  if (std::memcmp(b, "\x7f" "ELF", 4) == 0)
    m->image.assign(reinterpret_cast<const char *>(b), elfSize(b));
  else
    m->image = static_cast<const char *>(image);
  if (m->image.rfind("\x7f" "ELF", 0) != 0 &&
      m->image.find(".entry ") == std::string::npos)
    return fail(kInvalidImage, "neither a cubin nor PTX with an entry");
  *module = m.get();
  state().modules.push_back(std::move(m));
  return kSuccess;
}
CUresult cuModuleUnload(void *module) {
  return release(state().modules, module, "module");
}
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  State &s = state();
  auto found = findOwned(s.modules, module);
  if (found == s.modules.end())
    return fail(kInvalidHandle, "cuModuleGetFunction in an unknown module");
  const Module *m = found->get();
  if (!names(*m, name))
    return fail(kNotFound, std::string("the module has no kernel ") + name);
  // The kernels of the bundle being run: a new path is another bundle's.
  const char *path = std::getenv("ITQ3_FAKE_CUDA_KERNELS");
  if (!path)
    return fail(kNotFound, "no emulated kernels (ITQ3_FAKE_CUDA_KERNELS)");
  if (!s.kernels || s.kernelsPath != path) {
    void *kernels = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!kernels)
      return fail(kNotFound, std::string("cannot open ") + path);
    if (s.kernels)
      dlclose(s.kernels);
    s.kernels = kernels;
    s.kernelsPath = path;
  }
  std::string launcher = std::string("__itq3_launch_") + name;
  void *entry = dlsym(s.kernels, launcher.c_str());
  auto *signature = static_cast<const char *>(
      dlsym(s.kernels, (launcher + "_signature").c_str()));
  if (!entry || !signature)
    return fail(kNotFound, "no emulation of kernel " + std::string(name));
  s.functions.push_back(std::make_unique<Function>(
      Function{name, reinterpret_cast<Launcher>(entry), signature}));
  *function = s.functions.back().get();
  return kSuccess;
}

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, void *, void **params,
                        void **extra) {
  auto *function = static_cast<Function *>(f);
  if (!function || extra || sharedBytes > 0)
    return fail(kInvalidValue, "a launch with extra or dynamic shared memory");
  // The limits of every GPU since sm_30.
  if (!gx || !gy || !gz || !bx || !by || !bz || uint64_t(bx) * by * bz > 1024 ||
      bx > 1024 || by > 1024 || bz > 64 || gy > 65535 || gz > 65535 ||
      gx > 0x7fffffffu)
    return fail(kInvalidValue,
                "launch dimensions out of range for " + function->name + ": " +
                    std::to_string(gx) + "x" + std::to_string(gy) + "x" +
                    std::to_string(gz) + " blocks of " + std::to_string(bx) +
                    "x" + std::to_string(by) + "x" + std::to_string(bz));
  Launch l{function, {gx, gy, gz}, {bx, by, bz}, {}};
  for (size_t i = 0; i < function->signature.size(); ++i) {
    uint64_t v = 0;
    std::memcpy(&v, params[i], parameterBytes(function->signature[i]));
    if (function->signature[i] == 'p' && !inside(v, 0))
      return fail(kIllegalAddress,
                  "kernel " + function->name + " parameter " +
                      std::to_string(i) + " is not a device address");
    l.values.push_back(v);
  }
  if (Graph *g = state().capture) {
    g->launches.push_back(std::move(l));
    return kSuccess;
  }
  return run(l);
}

CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = &state();
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *) { return kSuccess; }
CUresult cuStreamSynchronize(void *) {
  if (state().capture)
    return fail(kCaptureUnsupported, "a synchronization while captured");
  return kSuccess;
}

using Clock = std::chrono::steady_clock;
CUresult cuEventCreate(void **event, unsigned) {
  *event = new Clock::time_point();
  return kSuccess;
}
CUresult cuEventRecord(void *event, void *) {
  *static_cast<Clock::time_point *>(event) = Clock::now();
  return kSuccess;
}
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventElapsedTime_v2(float *ms, void *start, void *stop) {
  *ms = std::chrono::duration<float, std::milli>(
            *static_cast<Clock::time_point *>(stop) -
            *static_cast<Clock::time_point *>(start))
            .count();
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *event) {
  delete static_cast<Clock::time_point *>(event);
  return kSuccess;
}

CUresult cuStreamBeginCapture_v2(void *, int) {
  if (state().capture)
    return fail(kCaptureUnsupported, "the stream is captured already");
  state().graphs.push_back(std::make_unique<Graph>());
  state().capture = state().graphs.back().get();
  return kSuccess;
}
CUresult cuStreamEndCapture(void *, void **graph) {
  if (!state().capture)
    return fail(kInvalidValue, "the stream is not captured");
  *graph = state().capture;
  state().capture = nullptr;
  return kSuccess;
}
CUresult cuGraphInstantiateWithFlags(void **exec, void *graph,
                                     unsigned long long) {
  state().graphs.push_back(
      std::make_unique<Graph>(*static_cast<Graph *>(graph)));
  *exec = state().graphs.back().get();
  ++state().stats.graphInstantiations;
  return kSuccess;
}
CUresult cuGraphExecUpdate_v2(void *exec, void *graph, void *) {
  auto &to = static_cast<Graph *>(exec)->launches;
  const auto &from = static_cast<Graph *>(graph)->launches;
  if (to.size() != from.size())
    return kUpdateFailure;
  for (size_t i = 0; i < to.size(); ++i)
    if (to[i].function != from[i].function)
      return kUpdateFailure;
  to = from;
  ++state().stats.graphUpdates;
  return kSuccess;
}
CUresult cuGraphLaunch(void *exec, void *) {
  for (const Launch &l : static_cast<Graph *>(exec)->launches)
    if (CUresult r = run(l))
      return r;
  ++state().stats.graphLaunches;
  return kSuccess;
}
CUresult cuGraphDestroy(void *graph) {
  return release(state().graphs, graph, "graph");
}
CUresult cuGraphExecDestroy(void *exec) {
  return release(state().graphs, exec, "graph");
}

} // extern "C"
