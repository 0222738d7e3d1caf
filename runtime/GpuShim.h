//===- GpuShim.h - what a bundle's GPU host code calls --------------------===//
//
// Internal to the runtime. The GPU host code that itq3-compile bundles is
// upstream MLIR's lowering of gpu.launch_func, gpu.alloc and gpu.wait: it
// calls the mgpu* functions of MLIR's CUDA runtime wrappers. The runtime
// defines those functions itself (GpuShim.cpp; executables export them so
// the dlopened host code binds to them) over the CudaDriver, with the
// semantics that make one step of a model one stream of work, which a
// CUDA graph can capture:
//
// - every stream the host code creates is the model's one stream, and
//   synchronizing or destroying it does nothing: the host code never reads
//   device memory, the runtime synchronizes before it reads the logits;
// - buffers the host code allocates come from an arena that the runtime
//   rewinds before each call of an entry point (stream order makes reuse by
//   the next call safe); frees do nothing. The arena grows by chunks,
//   so addresses stay valid, and stays as large as the largest call needed;
// - modules are loaded (at dlopen, by the host code's constructors) and
//   functions looked up through the driver, each function once.
//
// The mgpu* calls return nothing, so a failing driver call is latched as
// the shim's first error and each call after it does nothing; the runtime
// takes the error after every entry point's call.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_RUNTIME_GPUSHIM_H
#define ITQ3_RUNTIME_GPUSHIM_H

#include "itq3/Runtime/Bundle.h"
#include "itq3/Runtime/CudaDriver.h"

#include <map>
#include <string>
#include <string>
#include <utility>
#include <vector>

namespace itq3::rt {

class GpuShim {
public:
  GpuShim(CudaDriver &driver, void *stream) : driver(driver), stream(stream) {}
  ~GpuShim();
  GpuShim(const GpuShim &) = delete;
  GpuShim &operator=(const GpuShim &) = delete;

  /// The shim the mgpu* calls go to while it lives (one at a time).
  class Activation {
  public:
    explicit Activation(GpuShim &shim);
    ~Activation();
  private:
    GpuShim *previous;
  };
  static GpuShim *active();

  /// Before a call of an entry point: its buffers start at the arena's
  /// beginning again.
  void rewindArena() { chunk = 0, offset = 0; }
  /// The first error since the last take, or success.
  Status takeError();
  uint64_t launches() const { return launchCount; }
  /// With timing on, every launch is bracketed by two events (not while a
  /// graph is captured: the runtime launches kernel by kernel then), and
  /// takeKernelSeconds() adds the kernels' times since, by kernel name.
  void setTiming(bool on) { timing = on; }
  Status takeKernelSeconds(std::map<std::string, double> &seconds);
  uint64_t arenaBytes() const;

  // What the mgpu* functions do.
  void *loadModule(const void *image);
  void unloadModule(void *module);
  void *function(void *module, const char *name);
  void launch(void *fn, const unsigned grid[3], const unsigned block[3],
              unsigned sharedBytes, void **params);
  void *allocate(uint64_t bytes);
  void *theStream() const { return stream; }
  void fail(const std::string &message);

private:
  bool failed() const { return !error.empty(); }

  CudaDriver &driver;
  void *stream;
  std::string error;
  uint64_t launchCount = 0;
  std::vector<void *> modules;
  std::map<std::pair<void *, std::string>, void *> functions;
  std::map<void *, std::string> names; // function -> kernel name
  bool timing = false;
  struct Timed {
    void *function, *start, *stop;
  };
  std::vector<Timed> timed;
  // Arena chunks (device address, bytes); allocation bumps within `chunk`.
  std::vector<std::pair<CUdeviceptr, uint64_t>> chunks;
  size_t chunk = 0;
  uint64_t offset = 0;
};

} // namespace itq3::rt

#endif // ITQ3_RUNTIME_GPUSHIM_H
