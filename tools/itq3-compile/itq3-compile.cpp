//===- itq3-compile.cpp - A model checkpoint -> one bundle file -----------===//
//
// Imports a checkpoint (llama2.c, GGUF, safetensors), quantizes its weights
// offline, compiles the whole forward pass and writes a bundle that
// itq3-run executes with no compiler.
//
//===----------------------------------------------------------------------===//
#include "Args.h"
#include "Calibrate.h"
#include "Progress.h"
#include "itq3/Format/Codec.h"
#include "itq3/Graph/ModelCompiler.h"
#include "itq3/Model/Importers.h"
#include "itq3/Model/Tokenizer.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/resource.h>

using namespace itq3;
using format::Status;

namespace {

const char *usage =
    "usage: itq3-compile --model FILE [--tokenizer FILE] --format F\n"
    "                    [--rotation activation|weight] [--sign-seed S]\n"
    "                    [--head-format F] [--embedding-format F]\n"
    "                    [--target cpu,sm_80,...] [--ctx N] [--prefill-chunk N]\n"
    "                    [--cpu NAME] [--cpu-mapping cpu|gpu-emulation]\n"
    "                    [--threads N] -o FILE.itq3\n"
    "  --model            llama2.c .bin, GGUF, or safetensors (+ config.json)\n"
    "  --tokenizer        llama2.c tokenizer.bin or Hugging Face tokenizer.json\n"
    "                     (GGUF files carry their own; a safetensors model\n"
    "                     reads the tokenizer.json beside it)\n"
    "  --format           weight format of the layers' linears: f16 q8 q4 q3\n"
    "                     q3r iq3 itq3_s ptqtp (a linear whose K does not divide\n"
    "                     into the format's blocks falls back to q8, then f16)\n"
    "  --rotation         activation (default: x rotated and quantized to int8,\n"
    "                     integer products) or weight (float x, inverse FWHT\n"
    "                     of the staged weight tiles)\n"
    "  --head-format      output projection (default q8)\n"
    "  --embedding-format token embedding, an unrotated format (default q8;\n"
    "                     a tied embedding is stored once when both agree)\n"
    "  --target           comma-separated targets: cpu, sm_80, sm_86, sm_89,\n"
    "                     sm_90 (GPU code is compiled and bundled; the runtime\n"
    "                     runs the CPU code)\n"
    "  --ctx              KV cache positions compiled in (default: the model's\n"
    "                     trained length, at most 4096)\n"
    "  --cpu              LLVM CPU name for the CPU code (default native)\n"
    "  --cpu-mapping      cpu (default) or gpu-emulation: the CPU code is the\n"
    "                     GPU mapping run by --itq3-emulate-gpu (slow; checks\n"
    "                     the GPU kernels on a machine without a GPU)\n"
    "  --emit-graph FILE  also write the model graph (itq3 IR) to FILE\n"
    "  --emit-emulated-kernels FILE\n"
    "                     with a GPU target: also write the GPU kernels\n"
    "                     emulated on the CPU (a shared object that the test\n"
    "                     driver test/Unit/Runtime/FakeCuda runs in place of\n"
    "                     libcuda, to check the CUDA backend without a GPU)\n"
    "calibrated quantization of the layers' linears (the statistics of\n"
    "itq3-run --calibrate TEXT --calib-stats FILE can be reused here):\n";

struct Options {
  std::string model, tokenizer, output, format, rotation = "activation";
  std::string headFormat = "q8", embeddingFormat = "q8", targets = "cpu";
  std::string cpu = "native", cpuMapping = "cpu", graph, emulatedKernels;
  uint64_t signSeed = 0;
  int64_t ctx = 0, prefillChunk = 512;
  unsigned threads = 0;
  CalibrationFlags calib;
};

format::FormatKind parseFormat(const std::string &flag, const std::string &v) {
  auto kind = format::parseFormatName(v);
  if (!kind)
    fail(flag + ": unknown format '" + v + "'");
  return *kind;
}

std::vector<std::string> split(const std::string &s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t comma; (comma = s.find(',', start)) != std::string::npos;
       start = comma + 1)
    out.push_back(s.substr(start, comma - start));
  out.push_back(s.substr(start));
  return out;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("%s%s", usage, kCalibrationUsage);
      std::exit(0);
    }
    if (i + 1 >= argc)
      fail("missing value for " + a + "\n" + usage);
    std::string v = argv[++i];
    if (a == "--model") o.model = v;
    else if (a == "--tokenizer") o.tokenizer = v;
    else if (a == "--format") o.format = v;
    else if (a == "--rotation") o.rotation = v;
    else if (a == "--sign-seed") o.signSeed = uint64_t(parseInt(a, v));
    else if (a == "--head-format") o.headFormat = v;
    else if (a == "--embedding-format") o.embeddingFormat = v;
    else if (a == "--target") o.targets = v;
    else if (a == "--ctx") o.ctx = parseInt(a, v);
    else if (a == "--prefill-chunk") o.prefillChunk = parseInt(a, v);
    else if (a == "--cpu") o.cpu = v;
    else if (a == "--cpu-mapping") o.cpuMapping = v;
    else if (a == "--emit-graph") o.graph = v;
    else if (a == "--emit-emulated-kernels") o.emulatedKernels = v;
    else if (a == "--threads") o.threads = unsigned(parseInt(a, v));
    else if (a == "-o") o.output = v;
    else if (parseCalibrationFlag(a, v, o.calib)) continue;
    else
      fail("unknown option " + a + "\n" + usage);
  }
  if (o.model.empty() || o.format.empty() || o.output.empty())
    fail(std::string("--model, --format and -o are required\n") + usage);
  if (o.rotation != "activation" && o.rotation != "weight")
    fail("--rotation must be activation or weight, got '" + o.rotation + "'");
  if (o.prefillChunk == 0)
    fail("--prefill-chunk must be positive");
  checkCalibrationFlags(o.calib, "");
  return o;
}

std::unique_ptr<model::Tokenizer> loadTokenizer(const Options &o,
                                                model::Model &m) {
  std::unique_ptr<model::Tokenizer> tok;
  // Lazy: tensors decode one at a time while they are packed.
  if (Status s = model::loadModel(o.model, m, &tok, /*lazy=*/true); !s)
    fail(s.message());
  if (!o.tokenizer.empty()) {
    tok = std::make_unique<model::Tokenizer>();
    if (Status s = model::loadTokenizerFile(o.tokenizer, m.config.vocabSize,
                                            *tok);
        !s)
      fail(s.message());
  }
  if (!tok)
    fail(o.model + " carries no tokenizer: pass --tokenizer FILE "
         "(tokenizer.bin or tokenizer.json)");
  return tok;
}

/// --calibrate needs the reference forward pass, hence every tensor in fp32
/// at once (the compile itself imports lazily): the model is loaded a second
/// time for the collection and freed before quantization.
void openCalibration(const Options &o, const model::Model &lazy,
                     const model::Tokenizer &tok, StatisticsFile &file,
                     model::CalibrationStats &stats,
                     model::CalibratedQuantization &out) {
  if (o.calib.text.empty()) {
    file.path = o.calib.stats;
  } else {
    model::Model full;
    if (Status s = model::loadModel(o.model, full); !s)
      fail(s.message());
    collectStatistics(full, tok, o.calib, o.threads, file);
  }
  openStatistics(file, lazy, o.calib, stats, out);
  std::printf("calibrated: %s, scales %s, dampening %g, %lld calibration "
              "positions\n",
              o.calib.mode.c_str(), o.calib.scales.c_str(), o.calib.dampening,
              (long long)stats.tokens());
}

void printReport(const graph::CompileReport &r, double importSeconds) {
  std::printf("bits/weight linears: %.4f\n", r.linearBitsPerWeight());
  std::printf("bits/weight model: %.4f (everything stored: embedding, head, "
              "norms)\n",
              r.modelBitsPerWeight());
  if (r.calibratedLinears)
    std::printf("calibrated linears: %lld\n", (long long)r.calibratedLinears);
  std::printf("fallbacks: %zu%s\n", r.fallbacks.size(),
              r.fallbacks.empty() ? "" : ":");
  for (const std::string &f : r.fallbacks)
    std::printf("  %s\n", f.c_str());
  std::printf("time: import %.1f s", importSeconds);
  for (const auto &[stage, seconds] : r.stageSeconds)
    std::printf(", %s %.1f s", stage.c_str(), seconds);
  std::printf("\n");
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak memory: %.2f GiB\n", double(usage.ru_maxrss) / (1 << 20));
}

} // namespace

int main(int argc, char **argv) {
  setToolName("itq3-compile");
  Options o = parseArgs(argc, argv);
  graph::CompileOptions co;
  co.format = parseFormat("--format", o.format);
  co.headFormat = parseFormat("--head-format", o.headFormat);
  co.embeddingFormat = parseFormat("--embedding-format", o.embeddingFormat);
  co.rotation = o.rotation;
  co.signSeed = o.signSeed;
  co.targets = split(o.targets);
  co.prefillChunk = o.prefillChunk;
  co.threads = o.threads;
  co.cpu = o.cpu;
  co.cpuMapping = o.cpuMapping;
  co.graphPath = o.graph;
  co.emulatedKernelsPath = o.emulatedKernels;

  auto start = std::chrono::steady_clock::now();
  model::Model m;
  std::unique_ptr<model::Tokenizer> tok = loadTokenizer(o, m);
  double importSeconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  std::printf("model: %s (%s %s, %lld parameters, %lld layers, dim %lld)\n",
              o.model.c_str(), m.source.c_str(), m.config.arch.c_str(),
              (long long)m.parameterCount(), (long long)m.config.nLayers,
              (long long)m.config.dim);
  constexpr int64_t kDefaultContext = 4096;
  co.context = o.ctx > 0 ? o.ctx : std::min(m.config.seqLen, kDefaultContext);
  co.tokenizer = model::serializeTokenizer(*tok);
  StatisticsFile statsFile;
  model::CalibrationStats stats;
  model::CalibratedQuantization calibrated;
  if (o.calib.enabled()) {
    openCalibration(o, m, *tok, statsFile, stats, calibrated);
    co.calibrated = &calibrated;
  }

  Progress bar("quantizing to " + o.format);
  co.progress = [&](const std::string &, int64_t done, int64_t total) {
    bar.update(done, total, "weights");
    if (done == total)
      bar.finish();
  };
  graph::CompileReport report;
  if (Status s = graph::compileModel(m, co, o.output, report); !s)
    fail(s.message());
  std::printf("wrote %s: %.1f MB (targets: %s, context %lld)\n",
              o.output.c_str(),
              double(std::filesystem::file_size(o.output)) / 1e6,
              o.targets.c_str(), (long long)co.context);
  printReport(report, importSeconds);
  return 0;
}
