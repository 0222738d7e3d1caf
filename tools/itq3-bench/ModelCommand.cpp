//===- ModelCommand.cpp - itq3-bench model: a compiled bundle end to end --===//
//
// Prefill and decode tokens per second of a bundle on the CPU or the GPU
// (--device), where the time goes (per function of the plan on the CPU),
// the bytes of weights a decode step reads and the bandwidth that
// achieves, against a bound measured in the same run: the CPU's streaming
// read, or the GPU's device-to-device copy.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Measure.h"

#include "itq3/Runtime/Bundle.h"
#include "itq3/Runtime/CpuModel.h"
#include "itq3/Runtime/GpuModel.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace itq3::bench {

using format::Status;

namespace {

struct Options {
  std::string bundle, json, device = "auto";
  int64_t prompt = 128, decode = 32;
  unsigned threads = 0;
  bool cudaGraphs = true;
};

bool parse(int argc, char **argv, Options &o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--bundle") o.bundle = v;
    else if (a == "--json") o.json = v;
    else if (a == "--prompt-tokens") o.prompt = std::atoll(v.c_str());
    else if (a == "--decode-tokens") o.decode = std::atoll(v.c_str());
    else if (a == "--threads") o.threads = unsigned(std::atoi(v.c_str()));
    else if (a == "--device") o.device = v;
    else if (a == "--cuda-graph") o.cudaGraphs = v != "0";
    else
      return false;
  }
  return argc % 2 == 1 && !o.bundle.empty() && o.prompt > 0 && o.decode > 0;
}

/// Bytes of weights one decode step reads: every tensor the plan's
/// functions bind, but only one row of a lookup table nothing else reads.
double weightBytesPerToken(const rt::Bundle &b) {
  std::map<std::string, int> readers; // tensor -> plan functions binding it
  for (const rt::PlanStep &step : b.plan())
    for (const rt::ParamBinding &p : b.findFunction(step.function)->params)
      if (p.kind == rt::ArgKind::Tensor)
        readers[p.name] += 1;
  double bytes = 0;
  for (const rt::TensorInfo &t : b.tensors()) {
    bool table = t.name == "token_embd.weight";
    bytes += table && readers[t.name] == 1 ? double(t.size) / double(t.shape[0])
                                           : double(t.size);
  }
  return bytes;
}

/// What a GPU kernel computes, from its name (`<function>_<step>[_N]`,
/// --itq3-name-kernels): "matmuls" (a linear or its activations'
/// quantizer), "attention", or "rest".
std::string kernelKind(std::string name) {
  name = name.substr(name.find('_') + 1); // the step
  size_t digits = name.find_last_not_of("0123456789");
  if (digits + 1 < name.size() && name[digits] == '_')
    name.resize(digits); // a numbered second kernel of the step
  static const std::set<std::string> linears = {
      "attn_q", "attn_k", "attn_v", "attn_output",
      "ffn_gate", "ffn_up", "ffn_down", "output"};
  if (linears.count(name) || name.rfind("quantize_", 0) == 0)
    return "matmuls";
  return name == "attention" ? "attention" : "rest";
}

/// The GPU's decode time by work, from the kernels' events of `steps`
/// eager steps that took `wall` seconds.
void printKernelSplit(const std::map<std::string, double> &kernels,
                      double wall, int64_t steps) {
  std::map<std::string, double> kinds;
  double total = 0;
  for (const auto &[name, s] : kernels) {
    kinds[kernelKind(name)] += s;
    total += s;
  }
  std::printf("decode time by work (GPU kernels, events, %lld steps launched "
              "kernel by kernel): matmuls %.0f%%, attention %.0f%%, the rest "
              "%.0f%%; kernels %.3f of %.3f ms per step\n",
              (long long)steps, 100 * kinds["matmuls"] / total,
              100 * kinds["attention"] / total, 100 * kinds["rest"] / total,
              1e3 * total / double(steps), 1e3 * wall / double(steps));
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       since)
      .count();
}

} // namespace

int runModel(int argc, char **argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: itq3-bench model --bundle FILE "
                         "[--prompt-tokens P] [--decode-tokens D] "
                         "[--threads T] [--device auto|cpu|cuda] "
                         "[--cuda-graph 0|1] [--json FILE]\n");
    return 2;
  }
  std::unique_ptr<rt::Bundle> bundle;
  std::unique_ptr<rt::BundleModel> model;
  if (Status s = rt::Bundle::open(o.bundle, bundle); !s) {
    std::fprintf(stderr, "itq3-bench: %s\n", s.message().c_str());
    return 1;
  }
  rt::OpenOptions open;
  open.device = o.device;
  open.threads = o.threads;
  open.cudaGraphs = o.cudaGraphs;
  std::string notice;
  if (Status s = rt::openBundleModel(*bundle, open, model, notice); !s) {
    std::fprintf(stderr, "itq3-bench: %s\n", s.message().c_str());
    return 1;
  }
  if (!notice.empty())
    std::fprintf(stderr, "itq3-bench: %s\n", notice.c_str());
  auto *cpu = dynamic_cast<rt::CpuModel *>(model.get());
  if (o.prompt + o.decode > model->context()) {
    std::fprintf(stderr, "itq3-bench: %lld + %lld tokens exceed the bundle's "
                         "context of %lld\n",
                 (long long)o.prompt, (long long)o.decode,
                 (long long)model->context());
    return 1;
  }
  unsigned threads = o.threads ? o.threads : std::thread::hardware_concurrency();
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < o.prompt + o.decode; ++i)
    ids.push_back(int32_t((i * 7919 + 13) % model->vocabSize()));
  std::vector<float> logits;
  // Warm-up: loads the code's pages and starts the OpenMP threads.
  if (Status s = model->run(ids.data(), 8, 0, logits, false); !s) {
    std::fprintf(stderr, "itq3-bench: %s\n", s.message().c_str());
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  if (Status s = model->run(ids.data(), o.prompt, 0, logits, false); !s)
    return 1;
  double prefill = seconds(start);
  auto before = model->profile();
  rt::CpuModel::OpSeconds opsBefore, opsAfter;
  bool timed = cpu && cpu->opSeconds(opsBefore);
  std::vector<double> steps;
  for (int64_t t = 0; t < o.decode; ++t) {
    auto step = std::chrono::steady_clock::now();
    if (Status s = model->run(&ids[size_t(o.prompt + t)], 1, o.prompt + t,
                              logits, false);
        !s)
      return 1;
    steps.push_back(seconds(step));
  }
  double decodeTotal = 0;
  for (double s : steps)
    decodeTotal += s;
  if (timed)
    cpu->opSeconds(opsAfter);
  // On the GPU: the same decode steps again, kernel by kernel with events.
  std::map<std::string, double> kernels;
  double eagerWall = 0;
  if (auto *gpu = dynamic_cast<rt::GpuModel *>(model.get())) {
    gpu->setKernelTiming(true);
    auto start = std::chrono::steady_clock::now();
    for (int64_t t = 0; t < o.decode; ++t)
      if (Status s = model->run(&ids[size_t(o.prompt + t)], 1, o.prompt + t,
                                logits, false);
          !s)
        return 1;
    eagerWall = seconds(start);
    gpu->setKernelTiming(false);
    if (Status s = gpu->takeKernelSeconds(kernels); !s) {
      std::fprintf(stderr, "itq3-bench: %s\n", s.message().c_str());
      return 1;
    }
  }
  double products = opsAfter.products - opsBefore.products;
  double attention = opsAfter.attention - opsBefore.attention;
  std::sort(steps.begin(), steps.end());
  double decode = steps[steps.size() / 2];
  double bytes = weightBytesPerToken(*bundle);
  double peak = 0;
  std::string bound = "streaming read";
  if (cpu) {
    peak = streamingReadGBs(threads);
    std::printf("bundle: %s; CPU, %u threads, batch 1\n", o.bundle.c_str(),
                threads);
  } else {
    // The GPU's bound: a device-to-device copy of 1 GiB, read + write.
    std::string why;
    std::unique_ptr<rt::CudaDriver> driver = rt::CudaDriver::open(why);
    if (!driver || !driver->copyBandwidth(size_t(1) << 30, peak, why))
      std::fprintf(stderr, "itq3-bench: no GPU copy bound: %s\n",
                   why.c_str());
    bound = "device copy";
    rt::GpuModel::Stats st = static_cast<rt::GpuModel &>(*model).stats();
    std::printf("bundle: %s; %s, batch 1, decode steps %s; %llu kernel "
                "launches so far; device memory: weights %.1f MB, KV cache "
                "%.1f MB, host code's buffers %.1f MB\n",
                o.bundle.c_str(), model->backend().c_str(),
                st.graphSteps ? "as CUDA graphs" : "launched kernel by kernel",
                (unsigned long long)st.launches, st.weightBytes / 1e6,
                st.cacheBytes / 1e6, st.arenaBytes / 1e6);
  }
  std::printf("prefill: %lld tokens in %.3f s, %.1f tok/s\n",
              (long long)o.prompt, prefill, double(o.prompt) / prefill);
  std::printf("decode: median %.2f ms/token, %.2f tok/s (positions %lld.."
              "%lld)\n",
              decode * 1e3, 1.0 / decode, (long long)o.prompt,
              (long long)(o.prompt + o.decode - 1));
  std::printf("weights read per decode step: %.1f MB; achieved %.2f GB/s "
              "of a %.2f GB/s %s (%.0f%%); bound %.1f tok/s\n",
              bytes / 1e6, bytes / decode / 1e9, peak, bound.c_str(),
              100 * bytes / decode / 1e9 / peak, peak * 1e9 / bytes);
  if (cpu) {
    std::printf("decode time by function:");
    for (size_t i = 0; i < model->profile().size(); ++i) {
      double spent = model->profile()[i].second -
                     (i < before.size() ? before[i].second : 0);
      std::printf(" %s %.0f%%", model->profile()[i].first.c_str(),
                  100 * spent / decodeTotal);
    }
    std::printf("\n");
  }
  if (timed)
    std::printf("decode time by work: matmuls %.0f%%, attention %.0f%%, the "
                "rest %.0f%% (norms, rotary, residuals, embedding, the "
                "runtime)\n",
                100 * products / decodeTotal, 100 * attention / decodeTotal,
                100 * (decodeTotal - products - attention) / decodeTotal);
  else if (cpu)
    std::printf("decode time by work: not measured (the bundle's code has no "
                "timers; recompile it)\n");
  else if (!kernels.empty())
    printKernelSplit(kernels, eagerWall, o.decode);
  if (!o.json.empty()) {
    FILE *f = std::fopen(o.json.c_str(), "w");
    if (!f)
      return 1;
    std::fprintf(f,
                 "{\"bundle\": \"%s\", \"backend\": \"%s\", \"threads\": %u, "
                 "\"prompt_tokens\": "
                 "%lld, \"prefill_tok_s\": %.3f, \"decode_ms\": %.4f, "
                 "\"decode_tok_s\": %.3f, \"weight_bytes_per_token\": %.0f, "
                 "\"achieved_gbs\": %.3f, \"stream_peak_gbs\": %.3f",
                 o.bundle.c_str(), model->backend().c_str(), threads,
                 (long long)o.prompt,
                 double(o.prompt) / prefill, decode * 1e3, 1.0 / decode,
                 bytes, bytes / decode / 1e9, peak);
    if (timed)
      std::fprintf(f,
                   ", \"decode_share_matmuls\": %.4f, "
                   "\"decode_share_attention\": %.4f",
                   products / decodeTotal, attention / decodeTotal);
    std::fprintf(f, "}\n");
    std::fclose(f);
  }
  return 0;
}

} // namespace itq3::bench
