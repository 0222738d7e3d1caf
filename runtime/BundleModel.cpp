//===- BundleModel.cpp - a bundle's model on the backend asked for --------===//
#include "itq3/Runtime/BundleModel.h"

#include "itq3/Runtime/CpuModel.h"
#include "itq3/Runtime/GpuModel.h"

#include <algorithm>

namespace itq3::rt {

namespace {

/// The GPU backend, or an error saying why there is none.
Status openGpu(const Bundle &bundle, bool graphs,
               std::unique_ptr<BundleModel> &out) {
  std::string why;
  std::unique_ptr<CudaDriver> driver = CudaDriver::open(why);
  if (!driver)
    return Status::error(why);
  std::unique_ptr<GpuModel> gpu;
  GpuModel::Options options;
  options.graphs = graphs;
  if (Status s = GpuModel::create(bundle, std::move(driver), options, gpu); !s)
    return s;
  out = std::move(gpu);
  return Status::success();
}

} // namespace

Status openBundleModel(const Bundle &bundle, const OpenOptions &options,
                       std::unique_ptr<BundleModel> &out,
                       std::string &notice) {
  notice.clear();
  const std::string &device = options.device;
  if (device != "auto" && device != "cpu" && device != "cuda")
    return Status::error("device must be auto, cpu or cuda, got '" + device +
                         "'");
  bool gpuCode = std::any_of(bundle.code().begin(), bundle.code().end(),
                             [](const CodeObject &c) {
                               return c.target != "cpu";
                             });
  if (device == "cuda" || (device == "auto" && gpuCode)) {
    Status gpu = openGpu(bundle, options.cudaGraphs, out);
    if (gpu)
      return gpu;
    if (device == "cuda")
      return Status::error("cannot run the bundle on the GPU: " +
                           gpu.message());
    notice = "not running on the GPU (" + gpu.message() +
             "): running the bundle's CPU code";
  }
  std::unique_ptr<CpuModel> cpu;
  if (Status s = CpuModel::create(bundle, options.threads, cpu); !s)
    return notice.empty() ? s : Status::error(notice + ", but " + s.message());
  out = std::move(cpu);
  return Status::success();
}

} // namespace itq3::rt
