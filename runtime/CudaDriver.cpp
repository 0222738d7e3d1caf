//===- CudaDriver.cpp - the CUDA driver API, opened at run time -----------===//
#include "itq3/Runtime/CudaDriver.h"

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
         resolve(lib, a.getErrorString, {"cuGetErrorString"}, why);
}

} // namespace

std::unique_ptr<CudaDriver> CudaDriver::open(std::string &why) {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    why = "no CUDA driver (libcuda.so.1 not found)";
    return nullptr;
  }
  std::unique_ptr<CudaDriver> driver(new CudaDriver());
  driver->library = library;
  driver->api = std::make_unique<Api>();
  if (!resolveAll(library, *driver->api, why))
    return nullptr;
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
                            void *&function, std::string &error) {
  CUmodule module = nullptr;
  return check(api->moduleLoadData(&module, image.c_str()), "cuModuleLoadData",
               error) &&
         check(api->moduleGetFunction(&function, module, entry.c_str()),
               "cuModuleGetFunction", error);
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
  CUevent start = nullptr, stop = nullptr;
  bool ok = check(api->eventCreate(&start, 0), "cuEventCreate", error) &&
            check(api->eventCreate(&stop, 0), "cuEventCreate", error) &&
            check(api->eventRecord(start, nullptr), "cuEventRecord", error) &&
            work(error) &&
            check(api->eventRecord(stop, nullptr), "cuEventRecord", error) &&
            check(api->eventSynchronize(stop), "cuEventSynchronize", error) &&
            check(api->eventElapsedTime(&milliseconds, start, stop),
                  "cuEventElapsedTime", error);
  for (CUevent e : {start, stop})
    if (e)
      api->eventDestroy(e);
  return ok;
}

} // namespace itq3::rt
