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
  /// is missing (no libcuda.so.1, no device, a failing call).
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
