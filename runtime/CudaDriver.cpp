//===- CudaDriver.cpp - the CUDA driver API, opened at run time -----------===//
#include "itq3/Runtime/CudaDriver.h"

#include <cstdlib>
#include <dlfcn.h>

namespace itq3::rt {

// The few driver types used, declared here so no CUDA header is needed.
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUevent = void *;
using CUstream = void *;
using CUgraph = void *;
using CUgraphExec = void *;

// From cuda.h.
constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;
constexpr int kCaptureModeRelaxed = 2;

struct CudaDriver::Api {
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*primaryCtxRelease)(CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*memcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*eventDestroy)(CUevent);
  CUresult (*getErrorString)(CUresult, const char **);
  // The CUDA backend of whole models (GpuModel, GpuShim).
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*memcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*memcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  // CUDA graphs: optional (a driver without them runs every step eagerly).
  CUresult (*streamBeginCapture)(CUstream, int);
  CUresult (*streamEndCapture)(CUstream, CUgraph *);
  CUresult (*graphInstantiate)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*graphExecUpdate)(CUgraphExec, CUgraph, void *);
  CUresult (*graphLaunch)(CUgraphExec, CUstream);
  CUresult (*graphDestroy)(CUgraph);
  CUresult (*graphExecDestroy)(CUgraphExec);
};

namespace {

/// Resolves the first of `names` that the library exports.
template <typename Fn>
bool resolve(void *library, Fn &fn, std::initializer_list<const char *> names,
             std::string &why) {
  for (const char *name : names)
    if (void *symbol = dlsym(library, name)) {
      fn = reinterpret_cast<Fn>(symbol);
      return true;
    }
  why = std::string("libcuda.so.1 lacks ") + *names.begin();
  return false;
}

bool resolveAll(void *lib, CudaDriver::Api &a, std::string &why) {
  return resolve(lib, a.init, {"cuInit"}, why) &&
         resolve(lib, a.deviceGetCount, {"cuDeviceGetCount"}, why) &&
         resolve(lib, a.deviceGet, {"cuDeviceGet"}, why) &&
         resolve(lib, a.deviceGetName, {"cuDeviceGetName"}, why) &&
         resolve(lib, a.primaryCtxRetain, {"cuDevicePrimaryCtxRetain"}, why) &&
         resolve(lib, a.primaryCtxRelease,
                 {"cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease"},
                 why) &&
         resolve(lib, a.ctxSetCurrent, {"cuCtxSetCurrent"}, why) &&
         resolve(lib, a.moduleLoadData, {"cuModuleLoadData"}, why) &&
         resolve(lib, a.moduleGetFunction, {"cuModuleGetFunction"}, why) &&
         resolve(lib, a.memAlloc, {"cuMemAlloc_v2"}, why) &&
         resolve(lib, a.memFree, {"cuMemFree_v2"}, why) &&
         resolve(lib, a.memcpyHtoD, {"cuMemcpyHtoD_v2"}, why) &&
         resolve(lib, a.memcpyDtoH, {"cuMemcpyDtoH_v2"}, why) &&
         resolve(lib, a.memcpyDtoD, {"cuMemcpyDtoD_v2"}, why) &&
         resolve(lib, a.launchKernel, {"cuLaunchKernel"}, why) &&
         resolve(lib, a.eventCreate, {"cuEventCreate"}, why) &&
         resolve(lib, a.eventRecord, {"cuEventRecord"}, why) &&
         resolve(lib, a.eventSynchronize, {"cuEventSynchronize"}, why) &&
         resolve(lib, a.eventElapsedTime,
                 {"cuEventElapsedTime_v2", "cuEventElapsedTime"}, why) &&
         resolve(lib, a.eventDestroy, {"cuEventDestroy_v2"}, why) &&
         resolve(lib, a.getErrorString, {"cuGetErrorString"}, why) &&
         resolve(lib, a.deviceGetAttribute, {"cuDeviceGetAttribute"}, why) &&
         resolve(lib, a.moduleUnload, {"cuModuleUnload"}, why) &&
         resolve(lib, a.streamCreate, {"cuStreamCreate"}, why) &&
         resolve(lib, a.streamDestroy, {"cuStreamDestroy_v2"}, why) &&
         resolve(lib, a.streamSynchronize, {"cuStreamSynchronize"}, why) &&
         resolve(lib, a.memcpyHtoDAsync, {"cuMemcpyHtoDAsync_v2"}, why) &&
         resolve(lib, a.memcpyDtoHAsync, {"cuMemcpyDtoHAsync_v2"}, why);
}

/// The graph calls, all or none.
bool resolveGraphs(void *lib, CudaDriver::Api &a) {
  std::string why;
  bool all =
      resolve(lib, a.streamBeginCapture, {"cuStreamBeginCapture_v2"}, why) &&
      resolve(lib, a.streamEndCapture, {"cuStreamEndCapture"}, why) &&
      resolve(lib, a.graphInstantiate, {"cuGraphInstantiateWithFlags"},
              why) &&
      resolve(lib, a.graphExecUpdate, {"cuGraphExecUpdate_v2"}, why) &&
      resolve(lib, a.graphLaunch, {"cuGraphLaunch"}, why) &&
      resolve(lib, a.graphDestroy, {"cuGraphDestroy"}, why) &&
      resolve(lib, a.graphExecDestroy, {"cuGraphExecDestroy"}, why);
  if (!all)
    a.streamBeginCapture = nullptr;
  return all;
}

} // namespace

std::unique_ptr<CudaDriver> CudaDriver::open(std::string &why) {
  // ITQ3_CUDA_DRIVER names another driver library: the tests' stand-in
  // that runs the kernels emulated on the CPU (test/Unit/Runtime/FakeCuda).
  const char *path = std::getenv("ITQ3_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    why = std::string("no CUDA driver (") + path + " not found)";
    return nullptr;
  }
  std::unique_ptr<CudaDriver> driver(new CudaDriver());
  driver->library = library;
  driver->api = std::make_unique<Api>();
  if (!resolveAll(library, *driver->api, why))
    return nullptr;
  resolveGraphs(library, *driver->api);
  Api &a = *driver->api;
  int count = 0;
  if (!driver->check(a.init(0), "cuInit", why) ||
      !driver->check(a.deviceGetCount(&count), "cuDeviceGetCount", why))
    return nullptr;
  if (count == 0) {
    why = "the CUDA driver sees no GPU";
    return nullptr;
  }
  char name[256] = {};
  if (!driver->check(a.deviceGet(&driver->device, 0), "cuDeviceGet", why) ||
      !driver->check(a.deviceGetName(name, sizeof(name), driver->device),
                     "cuDeviceGetName", why) ||
      !driver->check(a.primaryCtxRetain(&driver->context, driver->device),
                     "cuDevicePrimaryCtxRetain", why) ||
      !driver->check(a.ctxSetCurrent(driver->context), "cuCtxSetCurrent", why))
    return nullptr;
  driver->name = name;
  return driver;
}

CudaDriver::~CudaDriver() {
  if (context)
    api->primaryCtxRelease(device);
  if (library)
    dlclose(library);
}

bool CudaDriver::check(int result, const char *call, std::string &error) const {
  if (result == 0)
    return true;
  const char *text = nullptr;
  if (api && api->getErrorString)
    api->getErrorString(result, &text);
  error = std::string(call) + " failed: " + (text ? text : "error ") +
          " (" + std::to_string(result) + ")";
  return false;
}

bool CudaDriver::loadModule(const std::string &image, const std::string &entry,
                            void *&fn, std::string &error) {
  void *module = nullptr;
  return loadImage(image.c_str(), module, error) &&
         function(module, entry.c_str(), fn, error);
}

bool CudaDriver::allocate(size_t bytes, CUdeviceptr &ptr, std::string &error) {
  return check(api->memAlloc(&ptr, bytes), "cuMemAlloc", error);
}

void CudaDriver::release(CUdeviceptr ptr) {
  if (ptr)
    api->memFree(ptr);
}

bool CudaDriver::copyToDevice(CUdeviceptr dst, const void *src, size_t bytes,
                              std::string &error) {
  return check(api->memcpyHtoD(dst, src, bytes), "cuMemcpyHtoD", error);
}

bool CudaDriver::copyToHost(void *dst, CUdeviceptr src, size_t bytes,
                            std::string &error) {
  return check(api->memcpyDtoH(dst, src, bytes), "cuMemcpyDtoH", error);
}

bool CudaDriver::copyBandwidth(size_t bytes, double &gbs, std::string &error) {
  CUdeviceptr src = 0, dst = 0;
  CUevent start = nullptr, stop = nullptr;
  float ms = 0;
  bool ok = allocate(bytes, src, error) && allocate(bytes, dst, error) &&
            check(api->eventCreate(&start, 0), "cuEventCreate", error) &&
            check(api->eventCreate(&stop, 0), "cuEventCreate", error) &&
            check(api->memcpyDtoD(dst, src, bytes), "cuMemcpyDtoD", error) &&
            check(api->eventRecord(start, nullptr), "cuEventRecord", error) &&
            check(api->memcpyDtoD(dst, src, bytes), "cuMemcpyDtoD", error) &&
            check(api->eventRecord(stop, nullptr), "cuEventRecord", error) &&
            check(api->eventSynchronize(stop), "cuEventSynchronize", error) &&
            check(api->eventElapsedTime(&ms, start, stop),
                  "cuEventElapsedTime", error);
  if (ok)
    gbs = 2.0 * double(bytes) / (ms * 1e-3) / 1e9;
  for (CUevent e : {start, stop})
    if (e)
      api->eventDestroy(e);
  release(src);
  release(dst);
  return ok;
}

bool CudaDriver::launch(void *function, unsigned gridX, unsigned gridY,
                        unsigned block, void **params, float &milliseconds,
                        std::string &error) {
  return timeOnDefaultStream(
      [&](std::string &why) {
        return check(api->launchKernel(function, gridX, gridY, 1, block, 1, 1,
                                       0, nullptr, params, nullptr),
                     "cuLaunchKernel", why);
      },
      milliseconds, error);
}

bool CudaDriver::timeOnDefaultStream(
    const std::function<bool(std::string &)> &work, float &milliseconds,
    std::string &error) {
  return timeOnStream(nullptr, work, milliseconds, error);
}

bool CudaDriver::computeCapability(int &major, int &minor,
                                   std::string &error) {
  return check(api->deviceGetAttribute(&major, kComputeCapabilityMajor,
                                       device),
               "cuDeviceGetAttribute", error) &&
         check(api->deviceGetAttribute(&minor, kComputeCapabilityMinor,
                                       device),
               "cuDeviceGetAttribute", error);
}

bool CudaDriver::loadImage(const void *image, void *&module,
                           std::string &error) {
  return check(api->moduleLoadData(&module, image), "cuModuleLoadData", error);
}

void CudaDriver::unloadModule(void *module) {
  if (module)
    api->moduleUnload(module);
}

bool CudaDriver::function(void *module, const char *name, void *&fn,
                          std::string &error) {
  return check(api->moduleGetFunction(&fn, module, name),
               "cuModuleGetFunction", error);
}

bool CudaDriver::createStream(void *&stream, std::string &error) {
  return check(api->streamCreate(&stream, 0), "cuStreamCreate", error);
}

void CudaDriver::destroyStream(void *stream) {
  if (stream)
    api->streamDestroy(stream);
}

bool CudaDriver::synchronize(void *stream, std::string &error) {
  return check(api->streamSynchronize(stream), "cuStreamSynchronize", error);
}

bool CudaDriver::copyToDeviceAsync(CUdeviceptr dst, const void *src,
                                   size_t bytes, void *stream,
                                   std::string &error) {
  return check(api->memcpyHtoDAsync(dst, src, bytes, stream),
               "cuMemcpyHtoDAsync", error);
}

bool CudaDriver::copyToHostAsync(void *dst, CUdeviceptr src, size_t bytes,
                                 void *stream, std::string &error) {
  return check(api->memcpyDtoHAsync(dst, src, bytes, stream),
               "cuMemcpyDtoHAsync", error);
}

bool CudaDriver::launchOn(void *stream, void *fn, const unsigned grid[3],
                          const unsigned block[3], unsigned sharedBytes,
                          void **params, std::string &error) {
  return check(api->launchKernel(fn, grid[0], grid[1], grid[2], block[0],
                                 block[1], block[2], sharedBytes, stream,
                                 params, nullptr),
               "cuLaunchKernel", error);
}

bool CudaDriver::timeOnStream(void *stream,
                              const std::function<bool(std::string &)> &work,
                              float &milliseconds, std::string &error) {
  void *start = nullptr, *stop = nullptr;
  bool ok = createEvent(start, error) && createEvent(stop, error) &&
            recordEvent(start, stream, error) && work(error) &&
            recordEvent(stop, stream, error) &&
            elapsed(start, stop, milliseconds, error);
  destroyEvent(start);
  destroyEvent(stop);
  return ok;
}

bool CudaDriver::createEvent(void *&event, std::string &error) {
  return check(api->eventCreate(&event, 0), "cuEventCreate", error);
}

bool CudaDriver::recordEvent(void *event, void *stream, std::string &error) {
  return check(api->eventRecord(event, stream), "cuEventRecord", error);
}

bool CudaDriver::elapsed(void *start, void *stop, float &milliseconds,
                         std::string &error) {
  return check(api->eventSynchronize(stop), "cuEventSynchronize", error) &&
         check(api->eventElapsedTime(&milliseconds, start, stop),
               "cuEventElapsedTime", error);
}

void CudaDriver::destroyEvent(void *event) {
  if (event)
    api->eventDestroy(event);
}

bool CudaDriver::hasGraphs() const { return api->streamBeginCapture; }

bool CudaDriver::beginCapture(void *stream, std::string &error) {
  // Relaxed: the host code may allocate (cuMemAlloc) while it is captured,
  // when the step's arena grows.
  return check(api->streamBeginCapture(stream, kCaptureModeRelaxed),
               "cuStreamBeginCapture", error);
}

bool CudaDriver::endCapture(void *stream, void *&graph, std::string &error) {
  return check(api->streamEndCapture(stream, &graph), "cuStreamEndCapture",
               error);
}

bool CudaDriver::instantiate(void *graph, void *&exec, std::string &error) {
  return check(api->graphInstantiate(&exec, graph, 0), "cuGraphInstantiate",
               error);
}

bool CudaDriver::update(void *exec, void *graph) {
  // CUgraphExecUpdateResultInfo: a result code and two node handles.
  struct {
    int result;
    void *errorNode, *errorFromNode;
  } info = {};
  return api->graphExecUpdate(exec, graph, &info) == 0;
}

bool CudaDriver::launchGraph(void *exec, void *stream, std::string &error) {
  return check(api->graphLaunch(exec, stream), "cuGraphLaunch", error);
}

void CudaDriver::destroyGraph(void *graph) {
  if (graph)
    api->graphDestroy(graph);
}

void CudaDriver::destroyGraphExec(void *exec) {
  if (exec)
    api->graphExecDestroy(exec);
}

} // namespace itq3::rt
