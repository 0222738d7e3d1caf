//===- CudaDriver.h - the CUDA driver API, opened at run time ---*- C++ -*-===//
//
// libcuda.so.1 is loaded with dlopen, so binaries run (on the CPU) on
// machines without an NVIDIA driver and need no CUDA toolkit to build.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_CUDADRIVER_H
#define ITQ3_RUNTIME_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace itq3::rt {

using CUdeviceptr = unsigned long long;

class CudaDriver {
public:
  /// The driver with a context on device 0, or null with `why` saying what
  /// is missing (no libcuda.so.1, no device, a failing call). The
  /// environment variable ITQ3_CUDA_DRIVER names another library to open
  /// instead of libcuda.so.1 (the tests' stand-in driver).
  static std::unique_ptr<CudaDriver> open(std::string &why);
  ~CudaDriver();

  const std::string &deviceName() const { return name; }

  /// Each returns false and sets `error` (naming the call) on failure.
  bool loadModule(const std::string &image, const std::string &entry,
                  void *&function, std::string &error);
  bool allocate(size_t bytes, CUdeviceptr &ptr, std::string &error);
  void release(CUdeviceptr ptr);
  bool copyToDevice(CUdeviceptr dst, const void *src, size_t bytes,
                    std::string &error);
  bool copyToHost(void *dst, CUdeviceptr src, size_t bytes, std::string &error);
  /// GB/s of a device-to-device copy of `bytes` (read + write), timed with
  /// events: the bandwidth a kernel can hope for on this GPU.
  bool copyBandwidth(size_t bytes, double &gbs, std::string &error);
  /// Launches and waits; `milliseconds` is the kernel time from events.
  bool launch(void *function, unsigned gridX, unsigned gridY, unsigned block,
              void **params, float &milliseconds, std::string &error);
  /// Runs `work` between two events on the default stream and waits;
  /// `milliseconds` is the time between the events. For work that a library
  /// (cuBLAS) enqueues on the default stream of the current context.
  bool timeOnDefaultStream(const std::function<bool(std::string &)> &work,
                           float &milliseconds, std::string &error);

  /// For the CUDA backend of whole models (GpuModel). Streams, modules,
  /// functions and graphs are the driver's opaque handles.
  bool computeCapability(int &major, int &minor, std::string &error);
  /// A cubin or NUL-terminated PTX (which the driver compiles).
  bool loadImage(const void *image, void *&module, std::string &error);
  void unloadModule(void *module);
  bool function(void *module, const char *name, void *&fn,
                std::string &error);
  bool createStream(void *&stream, std::string &error);
  void destroyStream(void *stream);
  bool synchronize(void *stream, std::string &error);
  bool copyToDeviceAsync(CUdeviceptr dst, const void *src, size_t bytes,
                         void *stream, std::string &error);
  bool copyToHostAsync(void *dst, CUdeviceptr src, size_t bytes, void *stream,
                       std::string &error);
  bool launchOn(void *stream, void *fn, const unsigned grid[3],
                const unsigned block[3], unsigned sharedBytes, void **params,
                std::string &error);
  /// `work` between two events on `stream`, then waits for the second.
  bool timeOnStream(void *stream,
                    const std::function<bool(std::string &)> &work,
                    float &milliseconds, std::string &error);
  /// Events for timing kernels one by one: recorded on a stream, read after
  /// the stream's work is done.
  bool createEvent(void *&event, std::string &error);
  bool recordEvent(void *event, void *stream, std::string &error);
  bool elapsed(void *start, void *stop, float &milliseconds,
               std::string &error);
  void destroyEvent(void *event);
  /// CUDA graphs: whether the driver has them, then capture of a stream's
  /// work, instantiation, an in-place update of an instantiated graph with
  /// a new capture of the same topology (false when it cannot be), replay.
  bool hasGraphs() const;
  bool beginCapture(void *stream, std::string &error);
  bool endCapture(void *stream, void *&graph, std::string &error);
  bool instantiate(void *graph, void *&exec, std::string &error);
  bool update(void *exec, void *graph);
  bool launchGraph(void *exec, void *stream, std::string &error);
  void destroyGraph(void *graph);
  void destroyGraphExec(void *exec);

  struct Api;

private:
  CudaDriver() = default;
  bool check(int result, const char *call, std::string &error) const;

  void *library = nullptr;
  std::unique_ptr<Api> api;
  void *context = nullptr;
  int device = 0;
  std::string name;
};

/// Device buffers freed on every path out of a scope.
class DeviceBuffers {
public:
  explicit DeviceBuffers(CudaDriver &driver) : driver(driver) {}
  DeviceBuffers(const DeviceBuffers &) = delete;
  DeviceBuffers &operator=(const DeviceBuffers &) = delete;
  ~DeviceBuffers() {
    for (CUdeviceptr p : ptrs)
      driver.release(p);
  }
  bool add(size_t bytes, CUdeviceptr &ptr, std::string &error) {
    if (!driver.allocate(bytes, ptr, error))
      return false;
    ptrs.push_back(ptr);
    return true;
  }

private:
  CudaDriver &driver;
  std::vector<CUdeviceptr> ptrs;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_CUDADRIVER_H
