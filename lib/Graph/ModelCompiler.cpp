//===- ModelCompiler.cpp - A model checkpoint -> one bundle file ----------===//
#include "itq3/Graph/ModelCompiler.h"

#include "itq3/Conversion/CpuObject.h"
#include "itq3/Conversion/Pipelines.h"
#include "itq3/Dialect/ITQ3/IR/ITQ3Dialect.h"
#include "itq3/Graph/ModelGraph.h"
#include "itq3/Format/Calibrated.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Quantize.h"
#include "itq3/Runtime/Bundle.h"
#include "itq3/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <functional>
#include <chrono>
#include <cstdlib>
#include <unistd.h>
#include <cstring>
#include <fstream>
#include <sstream>

namespace itq3::graph {

using format::FormatKind;
using model::layerTensor;

namespace {

int64_t inputWidth(const model::ModelConfig &c, const std::string &what) {
  if (what == "attn_output")
    return c.nHeads * c.headDim;
  return what == "ffn_down" ? c.hiddenDim : c.dim;
}

GraphPlan makePlan(const model::Model &m, const CompileOptions &o,
                   int64_t context, CompileReport &report) {
  GraphPlan plan;
  plan.config = m.config;
  plan.context = context;
  bool int8 = o.rotation == "activation";
  for (const char *what : model::linearNames()) {
    int64_t k = inputWidth(m.config, what);
    FormatKind kind = model::fittingFormat(o.format, k);
    if (kind != o.format)
      report.fallbacks.push_back(std::string("blk.*.") + what + ".weight: " +
                                 std::string(format::formatName(kind)) +
                                 " (K = " + std::to_string(k) + ")");
    plan.linears[what] = {kind, o.signSeed, int8};
  }
  model::OutputStorage out =
      model::outputStorage(m, o.embeddingFormat, o.headFormat);
  if (out.embedding != o.embeddingFormat)
    report.fallbacks.push_back("token_embd.weight: " +
                               std::string(format::formatName(out.embedding)));
  if (out.head != o.headFormat)
    report.fallbacks.push_back("output head: " +
                               std::string(format::formatName(out.head)));
  plan.head = {out.head, o.signSeed, int8};
  plan.embedding = {out.embedding, 0, false};
  plan.headTensor = out.shared ? "token_embd.weight" : "output.weight";
  return plan;
}

std::vector<uint8_t> floatBytes(const std::vector<float> &v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(float));
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

/// Quantizes every tensor the plan binds and adds it to the bundle.
class WeightPacker {
public:
  WeightPacker(model::Model &m, const CompileOptions &o,
               rt::BundleWriter &writer, CompileReport &report)
      : m(m), o(o), writer(writer), report(report) {}

  Status packAll(const GraphPlan &plan) {
    total = totalWeights(plan);
    if (Status s = pack("token_embd.weight", *m.find("token_embd.weight"),
                        plan.embedding, false);
        !s)
      return s;
    if (plan.headTensor != plan.embeddingTensor)
      if (Status s = pack("output.weight", headSource(), plan.head, false);
          !s)
        return s;
    addFloats("output_norm.weight");
    for (int64_t l = 0; l < m.config.nLayers; ++l) {
      for (const char *norm : {"attn_norm", "ffn_norm"})
        addFloats(layerTensor(l, norm));
      for (const char *what : model::linearNames()) {
        std::string name = layerTensor(l, what);
        if (Status s = pack(name, *m.find(name), plan.linears.at(what), true);
            !s)
          return s;
        if (m.config.qkvBias && m.find(layerTensor(l, what, "bias")))
          addFloats(layerTensor(l, what, "bias"));
      }
    }
    return Status::success();
  }

private:
  /// The tensor the head is made from: output.weight, or the tied table.
  model::Tensor &headSource() {
    model::Tensor *head = m.find("output.weight");
    return head ? *head : *m.find("token_embd.weight");
  }

  int64_t totalWeights(const GraphPlan &plan) {
    int64_t n = m.find("token_embd.weight")->numel();
    if (plan.headTensor != plan.embeddingTensor)
      n += headSource().numel();
    for (int64_t l = 0; l < m.config.nLayers; ++l)
      for (const char *what : model::linearNames())
        n += m.find(layerTensor(l, what))->numel();
    return n;
  }

  Status pack(const std::string &name, model::Tensor &t, const WeightPlan &w,
              bool linear) {
    auto codec = format::createCodec(w.kind, {w.seed});
    t.materialize();
    std::vector<uint8_t> bytes(size_t(codec->matrixBytes(t.rows(), t.cols())));
    if (Status s = linear && o.calibrated ? encodeCalibrated(name, *codec, t, bytes)
                                          : encodeNearest(*codec, t, bytes);
        !s)
      return Status::error(name + ": " + s.message());
    rt::TensorInfo info;
    info.name = name;
    info.shape = t.shape;
    info.format = std::string(codec->name());
    info.rotation = !codec->isRotated() ? "none"
                    : w.int8Activations ? "activation"
                                        : "weight";
    info.signSeed = codec->isRotated() ? w.seed : 0;
    info.layout = "rows";
    double bits = double(bytes.size()) * 8;
    (linear ? report.linearBits : report.otherBits) += bits;
    (linear ? report.linearWeights : report.otherWeights) += t.numel();
    writer.addTensor(std::move(info), std::move(bytes));
    t.release();
    done += t.numel();
    if (o.progress)
      o.progress("quantize", done, total);
    return Status::success();
  }

  Status encodeNearest(const format::Codec &codec, const model::Tensor &t,
                       std::vector<uint8_t> &bytes) {
    format::EncodeOptions eo;
    eo.threads = o.threads;
    return codec.encodeRows(t.data.data(), t.rows(), t.cols(), bytes.data(),
                            eo);
  }

  /// Linears that share an input come one after another (linearNames()
  /// order), so each statistic is read once.
  Status encodeCalibrated(const std::string &name, const format::Codec &codec,
                          const model::Tensor &t, std::vector<uint8_t> &bytes) {
    std::string input = model::calibrationInput(name);
    if (input != loadedInput) {
      if (Status s = o.calibrated->stats->load(input, h); !s)
        return s;
      loadedInput = input;
    }
    if (h.size() != size_t(t.cols() * t.cols()))
      return Status::error("its calibration statistic " + input +
                           " does not have K = " + std::to_string(t.cols()));
    format::CalibratedOptions co = o.calibrated->options;
    co.threads = o.threads;
    ++report.calibratedLinears;
    return format::encodeRowsCalibrated(codec, t.data.data(), t.rows(),
                                        t.cols(), h.data(), co, bytes.data());
  }

  void addFloats(const std::string &name) {
    model::Tensor &t = *m.find(name);
    t.materialize();
    rt::TensorInfo info;
    info.name = name;
    info.shape = t.shape;
    info.format = "f32";
    info.rotation = "none";
    info.layout = "rows";
    report.otherBits += double(t.numel()) * 32;
    report.otherWeights += t.numel();
    writer.addTensor(std::move(info), floatBytes(t.data));
    t.release();
  }

  model::Model &m;
  const CompileOptions &o;
  rt::BundleWriter &writer;
  CompileReport &report;
  int64_t done = 0, total = 0;
  std::string loadedInput; // the statistic in h
  std::vector<float> h;
};

rt::ElementType elementType(const std::string &name) {
  if (name == "i8")
    return rt::ElementType::I8;
  if (name == "i32")
    return rt::ElementType::I32;
  if (name == "index")
    return rt::ElementType::I64;
  return rt::ElementType::F32;
}

rt::FunctionInfo functionInfo(const FunctionSignature &sig,
                              const std::string &target) {
  rt::FunctionInfo f;
  f.name = sig.name;
  f.target = target;
  f.entry = "_itq3_packed_" + sig.name;
  for (const Parameter &p : sig.params) {
    rt::ParamBinding b;
    b.kind = p.kind == Parameter::Kind::Tensor   ? rt::ArgKind::Tensor
             : p.kind == Parameter::Kind::Buffer ? rt::ArgKind::Buffer
                                                 : rt::ArgKind::Scalar;
    b.name = p.name;
    b.elementType = elementType(p.elementType);
    b.sizes = p.sizes;
    f.params.push_back(std::move(b));
  }
  return f;
}

mlir::DialectRegistry compilerRegistry() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::itq3::ITQ3Dialect, mlir::arith::ArithDialect,
                  mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                  mlir::gpu::GPUDialect, mlir::LLVM::LLVMDialect,
                  mlir::NVVM::NVVMDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::vector::VectorDialect>();
  mlir::itq3::registerLoweringInterfaces(registry);
  return registry;
}

/// The CPU's prefill variant of each function: its name suffix, the tile
/// rows it is compiled for, and the rows from which the runtime calls it.
constexpr const char *kPrefillSuffix = "_prefill";
constexpr int64_t kPrefillTileRows = 64, kPrefillRows = 16;
constexpr int64_t kGpuPrefillTile = 16; // mma.sync's m16

/// A context and diagnostics for one lowering of the model graph.
struct Lowering {
  Lowering() : context(compilerRegistry()) {
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        &context, [this](mlir::Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return mlir::success();
        });
  }

  /// Builds the graph, writes it to `graphPath` if set, then runs `build`'s
  /// pipeline over it.
  template <typename Build>
  Status run(const GraphPlan &plan, const std::string &suffix,
             const std::string &graphPath, const std::string &what,
             Build build) {
    module = buildModelModule(context, plan, suffix);
    if (mlir::failed(mlir::verify(*module)))
      return Status::error("the model graph does not verify: " + diagnostics);
    if (!graphPath.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(graphPath, ec);
      if (ec)
        return Status::error(graphPath + ": " + ec.message());
      module->print(os);
    }
    mlir::PassManager pm(&context);
    build(pm);
    if (mlir::failed(pm.run(*module)))
      return Status::error("lowering the model " + what + " failed: " +
                           diagnostics);
    return Status::success();
  }

  mlir::MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Sets the GPU pipeline's options that the compile options choose, and
/// its tiles: dp4a decode tiles, or for the NAME_prefill variant 16 x 16
/// tiles that multiply on tensor cores (mma.sync).
void setGpuOptions(const CompileOptions &o, bool prefill,
                   mlir::itq3::PtxPipelineOptions &pipeline) {
  if (o.gpuAttentionSplit > 0)
    pipeline.attentionSplit = o.gpuAttentionSplit;
  if (prefill)
    pipeline.tileM = pipeline.tileN = kGpuPrefillTile;
}

/// The model graph through the GPU's kernel pipeline then `finish`, twice:
/// with decode tiles and, as NAME_prefill, with prefill tiles.
Status lowerGpuVariants(
    const GraphPlan &plan, const CompileOptions &o, const std::string &what,
    const std::function<void(mlir::OpPassManager &,
                             mlir::itq3::PtxPipelineOptions &)> &finish,
    Lowering &decode, Lowering &prefill) {
  for (bool tiles : {false, true}) {
    mlir::itq3::PtxPipelineOptions pipeline;
    setGpuOptions(o, tiles, pipeline);
    Lowering &l = tiles ? prefill : decode;
    if (Status s = l.run(plan, tiles ? kPrefillSuffix : "", "",
                         what + (tiles ? " (prefill tiles)" : ""),
                         [&](mlir::OpPassManager &pm) { finish(pm, pipeline); });
        !s)
      return s;
  }
  return Status::success();
}

/// Links the lowered modules' host code into `code`.
Status link(std::initializer_list<Lowering *> lowerings,
            const CompileOptions &o, bool openmp, rt::CodeObject &code) {
  mlir::itq3::CpuObjectOptions objectOptions;
  objectOptions.cpu = o.cpu;
  objectOptions.openmp = openmp;
  std::vector<mlir::ModuleOp> modules;
  for (Lowering *l : lowerings)
    modules.push_back(*l->module);
  std::string error;
  if (!mlir::itq3::emitSharedObject(modules, objectOptions, code.bytes,
                                    error))
    return Status::error(error);
  code.kind = "elf-shared-object";
  return Status::success();
}

/// The model graph lowered by the CPU pipeline, as a shared object, and
/// the LLVM features it was compiled for. The object holds the functions
/// twice: with decode tiles (8 activation rows) and, named NAME_prefill,
/// with prefill tiles (64 rows), which the runtime calls for calls of at
/// least kPrefillRows rows.
Status compileCpu(const GraphPlan &plan, const CompileOptions &o,
                  rt::CodeObject &code, std::string &cpuFeatures) {
  Lowering decode, prefill;
  using Build = std::function<void(mlir::OpPassManager &)>;
  Build decodeBuild, prefillBuild;
  bool emulated = o.cpuMapping == "gpu-emulation";
  mlir::itq3::CpuPipelineOptions decodeTiles, prefillTiles;
  mlir::itq3::PtxPipelineOptions decodeBlocks, prefillBlocks;
  setGpuOptions(o, /*prefill=*/false, decodeBlocks);
  setGpuOptions(o, /*prefill=*/true, prefillBlocks);
  if (emulated) {
    auto pipeline = [](const mlir::itq3::PtxPipelineOptions &options) {
      return [&options](mlir::OpPassManager &pm) {
        mlir::itq3::buildGpuKernelPipeline(pm, options);
        mlir::itq3::buildGpuEmulationPipeline(pm, /*reverseThreads=*/false);
      };
    };
    decodeBuild = pipeline(decodeBlocks);
    prefillBuild = pipeline(prefillBlocks);
  } else {
    decodeTiles.openmp = prefillTiles.openmp = true;
    decodeTiles.targetFeatures = prefillTiles.targetFeatures =
        mlir::itq3::cpuFeatures(o.cpu);
    prefillTiles.tileM = kPrefillTileRows;
    // Timers around the products and the attention, per variant (the two
    // objects are linked into one): rt::CpuModel reads them.
    auto pipeline = [](const mlir::itq3::CpuPipelineOptions &options,
                       std::string suffix) {
      return [&options, suffix](mlir::OpPassManager &pm) {
        pm.addPass(mlir::itq3::createITQ3ProfileOps({suffix}));
        mlir::itq3::buildCpuLLVMPipeline(pm, options);
      };
    };
    decodeBuild = pipeline(decodeTiles, "");
    prefillBuild = pipeline(prefillTiles, kPrefillSuffix);
  }
  if (Status s = decode.run(plan, "", o.graphPath, "for the CPU", decodeBuild);
      !s)
    return s;
  if (Status s = prefill.run(plan, kPrefillSuffix, "",
                             "for the CPU (prefill tiles)", prefillBuild);
      !s)
    return s;
  if (Status s = link({&decode, &prefill}, o, /*openmp=*/!emulated, code); !s)
    return s;
  std::string cpu, features;
  mlir::itq3::CpuObjectOptions objectOptions;
  objectOptions.cpu = o.cpu;
  mlir::itq3::resolveCpu(objectOptions, cpu, features);
  code.target = "cpu";
  code.arch = "x86_64:" + cpu;
  // Only what the code may use matters to the runtime's check.
  std::istringstream list(features);
  cpuFeatures.clear();
  for (std::string f; std::getline(list, f, ',');)
    if (!f.empty() && f[0] == '+')
      cpuFeatures += (cpuFeatures.empty() ? "" : ",") + f;
  return Status::success();
}

constexpr const char *kCudaHome = "/usr/local/cuda";

/// The model graph lowered by the GPU pipeline for `chip`: host code that
/// launches the kernels through the mgpu* calls, with the kernels embedded
/// as cubins (assembled by ptxas), or as PTX for the driver to compile
/// (`ptx`).
Status compileGpu(const GraphPlan &plan, const CompileOptions &o,
                  const std::string &chip, bool ptx, rt::CodeObject &code) {
  // The kernels' math links libdevice, which the NVVM target finds under
  // CUDA_HOME; the toolkit's usual place when that is unset.
  if (!std::getenv("CUDA_HOME") && !access(kCudaHome, R_OK))
    setenv("CUDA_HOME", kCudaHome, 0);
  Lowering decode, prefill;
  if (Status s = lowerGpuVariants(
          plan, o, "for " + chip,
          [&](mlir::OpPassManager &pm,
              mlir::itq3::PtxPipelineOptions &pipeline) {
            pipeline.chip = chip;
            pipeline.format = ptx ? "isa" : "bin";
            mlir::itq3::buildPtxPipeline(pm, pipeline);
          },
          decode, prefill);
      !s)
    return s;
  if (Status s = link({&decode, &prefill}, o, /*openmp=*/false, code); !s)
    return s;
  code.target = ptx ? "ptx" : chip;
  code.arch = chip;
  return Status::success();
}

/// The GPU kernels, emulated, with launchers: see
/// CompileOptions::emulatedKernelsPath.
Status writeEmulatedKernels(const GraphPlan &plan, const CompileOptions &o) {
  Lowering decode, prefill;
  if (Status s = lowerGpuVariants(
          plan, o, "for the GPU emulation",
          [](mlir::OpPassManager &pm,
             mlir::itq3::PtxPipelineOptions &pipeline) {
            mlir::itq3::buildGpuKernelPipeline(pm, pipeline);
            mlir::itq3::buildGpuEmulationPipeline(pm, /*reverseThreads=*/false,
                                                  /*exportKernels=*/true);
          },
          decode, prefill);
      !s)
    return s;
  rt::CodeObject code;
  if (Status s = link({&decode, &prefill}, o, /*openmp=*/false, code); !s)
    return s;
  std::ofstream out(o.emulatedKernelsPath, std::ios::binary);
  out.write(reinterpret_cast<const char *>(code.bytes.data()),
            std::streamsize(code.bytes.size()));
  if (!out.flush())
    return Status::error(o.emulatedKernelsPath + ": cannot write");
  return Status::success();
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

void describe(const model::Model &m, const CompileOptions &o,
              const GraphPlan &plan, rt::BundleMeta &meta) {
  const model::ModelConfig &c = m.config;
  auto &kv = meta.config;
  kv["arch"] = c.arch;
  kv["dim"] = std::to_string(c.dim);
  kv["hidden_dim"] = std::to_string(c.hiddenDim);
  kv["n_layers"] = std::to_string(c.nLayers);
  kv["n_heads"] = std::to_string(c.nHeads);
  kv["n_kv_heads"] = std::to_string(c.nKvHeads);
  kv["head_dim"] = std::to_string(c.headDim);
  kv["vocab_size"] = std::to_string(c.vocabSize);
  kv["seq_len"] = std::to_string(c.seqLen);
  kv["rope_base"] = number(c.ropeBase);
  kv["norm_eps"] = number(c.normEps);
  kv["rope_halves"] = c.ropeHalves ? "1" : "0";
  kv["qkv_bias"] = c.qkvBias ? "1" : "0";
  kv["format"] = std::string(format::formatName(o.format));
  kv["rotation"] = o.rotation;
  kv["sign_seed"] = std::to_string(o.signSeed);
  kv["head_format"] = std::string(format::formatName(plan.head.kind));
  kv["embedding_format"] = std::string(format::formatName(plan.embedding.kind));
  kv["source"] = m.source;
  kv["cpu_mapping"] = o.cpuMapping;
}

} // namespace

Status compileModel(model::Model &m, const CompileOptions &o,
                    const std::string &outputPath, CompileReport &report) {
  report = CompileReport();
  if (Status s = m.validate(); !s)
    return s;
  if (o.rotation != "activation" && o.rotation != "weight")
    return Status::error("rotation must be 'activation' or 'weight', got '" +
                         o.rotation + "'");
  if (o.cpuMapping != "cpu" && o.cpuMapping != "gpu-emulation")
    return Status::error("cpu mapping must be 'cpu' or 'gpu-emulation', got '" +
                         o.cpuMapping + "'");
  std::vector<std::string> chips;
  for (const std::string &t : o.targets) {
    if (t == "cpu")
      continue;
    if (t != "sm_80" && t != "sm_86" && t != "sm_89" && t != "sm_90")
      return Status::error("unknown target '" + t +
                           "': cpu, sm_80, sm_86, sm_89, sm_90");
    chips.push_back(t);
  }
  std::sort(chips.begin(), chips.end());
  if (chips.empty() && std::count(o.targets.begin(), o.targets.end(), "cpu") == 0)
    return Status::error("no target: give --target cpu and/or GPU chips");
  int64_t context = o.context > 0 ? o.context : m.config.seqLen;
  if (context > m.config.seqLen)
    return Status::error("context " + std::to_string(context) +
                         " exceeds the model's sequence length " +
                         std::to_string(m.config.seqLen));
  auto clock = std::chrono::steady_clock::now();
  auto lap = [&](const std::string &stage) {
    auto now = std::chrono::steady_clock::now();
    report.stageSeconds.push_back(
        {stage, std::chrono::duration<double>(now - clock).count()});
    clock = now;
  };

  GraphPlan plan = makePlan(m, o, context, report);
  rt::BundleWriter writer;
  WeightPacker packer(m, o, writer, report);
  if (Status s = packer.packAll(plan); !s)
    return s;
  lap("quantize");

  bool cpu = std::count(o.targets.begin(), o.targets.end(), "cpu") > 0;
  if (cpu) {
    rt::CodeObject code;
    if (Status s = compileCpu(plan, o, code, writer.meta.config["cpu_features"]);
        !s)
      return s;
    writer.addCode(std::move(code));
    lap("compile (cpu)");
  }
  // A cubin per chip, and PTX of the lowest for newer GPUs.
  for (size_t i = 0; i <= chips.size() && !chips.empty(); ++i) {
    bool ptx = i == chips.size();
    rt::CodeObject code;
    if (Status s = compileGpu(plan, o, ptx ? chips.front() : chips[i], ptx,
                              code);
        !s)
      return s;
    writer.addCode(std::move(code));
    lap(ptx ? "compile (ptx)" : "compile (" + chips[i] + ")");
  }
  if (!o.emulatedKernelsPath.empty() && !chips.empty()) {
    if (Status s = writeEmulatedKernels(plan, o); !s)
      return s;
    lap("compile (emulated kernels)");
  }
  // Every target's code has the same entry points with the same bindings,
  // each with decode tiles and, as NAME_prefill, prefill tiles; the
  // function table names the CPU's (or the first GPU's) target.
  for (FunctionSignature sig : modelSignatures(plan)) {
    std::string target = cpu ? "cpu" : chips.front();
    writer.addFunction(functionInfo(sig, target));
    sig.name += kPrefillSuffix;
    writer.addFunction(functionInfo(sig, target));
  }
  writer.meta.config["prefill_rows"] = std::to_string(kPrefillRows);
  writer.addPlanStep({"embed", 1});
  writer.addPlanStep({"layer", uint32_t(m.config.nLayers)});
  writer.addPlanStep({"head", 1});

  writer.meta.maxContext = context;
  writer.meta.prefillChunk = std::min(o.prefillChunk, context);
  writer.meta.tokenizer = o.tokenizer;
  describe(m, o, plan, writer.meta);
  if (Status s = writer.write(outputPath); !s)
    return s;
  lap("write");
  return Status::success();
}

} // namespace itq3::graph
