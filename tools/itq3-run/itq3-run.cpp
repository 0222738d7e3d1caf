//===- itq3-run.cpp - Generate text or measure perplexity -----------------===//
//
// Generates text or measures perplexity with a compiled bundle (--bundle:
// the runtime executes the bundle's code, no compiler involved), or with the
// reference forward pass on an imported model, optionally with its linears
// quantized and dequantized by one of the weight formats (simulated
// quantization).
//
//===----------------------------------------------------------------------===//

#include "Args.h"
#include "Calibrate.h"
#include "Progress.h"
#include "itq3/Format/Calibrated.h"
#include "itq3/Format/Codec.h"
#include "itq3/Model/ActivationPlan.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Distribution.h"
#include "itq3/Model/Eval.h"
#include "itq3/Model/Forward.h"
#include "itq3/Model/Importers.h"
#include "itq3/Model/Quantize.h"
#include "itq3/Model/TwlaQuantize.h"
#include "itq3/Runtime/Bundle.h"
#include "itq3/Runtime/CpuModel.h"
#include "itq3/Runtime/CudaDriver.h"
#include "itq3/Runtime/Sampler.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

using namespace itq3;
using namespace itq3::model;

namespace {

const char *usage =
    "usage: itq3-run (--bundle FILE.itq3 | --model FILE [--tokenizer FILE]\n"
    "                 [--format F] [--sign-seed S] [--act-quant]) [--threads N]\n"
    "                (--prompt TEXT -n N [--temp T] [--top-p P] [--seed S]\n"
    "                 | --perplexity TEXT_FILE --ctx C [--max-tokens T])\n"
    "  --bundle      a model compiled by itq3-compile: runs its GPU code on\n"
    "                the GPU when the machine has one, else its CPU code\n"
    "                (--info alone: what the bundle holds)\n"
    "  --device      with --bundle: auto (default), cpu or cuda\n"
    "  --no-cuda-graph  with --bundle on the GPU: launch every kernel of a\n"
    "                decode step instead of replaying the step as a graph\n"
    "  --ctx         positions of the KV cache (generation: at most 4096 by\n"
    "                default, a bundle's compiled context; perplexity: the\n"
    "                window length)\n"
    "  --model       llama2.c .bin, GGUF, or safetensors (+ config.json)\n"
    "  --tokenizer   llama2.c tokenizer.bin or Hugging Face tokenizer.json\n"
    "                (GGUF files carry their own; a safetensors model reads\n"
    "                the tokenizer.json beside it)\n"
    "  --format      reference (default) or a weight format: f16 q8 q4 q3\n"
    "                q3r iq3 itq3_s itq3_s64 ptqtp (linears quantized, then\n"
    "                dequantized), or twinquant[:KEY=VALUE,...]: low\n"
    "                rank plus q4 residual; keys rank, budget (bits\n"
    "                per weight of the factors, default 0.5), factor\n"
    "                (4|8), residual (auto|q4|q4r), seed, transform\n"
    "                (none|hadamard|learned), iters, balance, importance\n"
    "                (off|on: SVD weighted by diag H of --calib-stats),\n"
    "                cal (off|on: the residual coded against H of\n"
    "                --calib-stats, GPTQ/LDLQ)\n"
    "                or twla[:KEY=VALUE,...]: ternary weights in groups\n"
    "                (mu + alpha t) under a Kronecker rotation, needs\n"
    "                --calib-stats or --calibrate; keys rotation\n"
    "                (none|fixed|learned|best), act (16|4: float or\n"
    "                4/8-bit mixed activations), budget (mean activation\n"
    "                bits, default 4.5), group (64), coupling\n"
    "                (full|block|none), feedback (on|off), steps, seed,\n"
    "                tokens, samples\n"
    "  --act-calib TEXT  twla act=4: the text of the activation clip and\n"
    "                bits search (default: the --calibrate text)\n"
    "  --sign-seed   random-sign seed for rotated formats (0 = none)\n"
    "  --head-format, --embedding-format F\n"
    "                also store the output head / token embedding in F, as\n"
    "                itq3-compile does (default: left as imported)\n"
    "  --act-quant   int8 activations as the compiled activation placement\n"
    "                computes them (per 32, rotated for rotated formats;\n"
    "                needs --format)\n"
    "  --tokenize TEXT_FILE  print the token ids of TEXT_FILE (no BOS), one\n"
    "                per line, and stop (the tokenizer of --model or\n"
    "                --bundle; scripts/check-tokenizer compares them)\n"
    "calibrated quantization (needs --format; with --calibrate and\n"
    "--calib-stats but no --format and no --perplexity: collect and stop):\n";

const char *usageTail =
    "perplexity extras:\n"
    "  --save-reference FILE  cache this run's distributions (top-64 + rest)\n"
    "  --reference FILE       KL divergence and top-1 agreement against them\n"
    "  --token-log FILE       per scored token: NLL, KL, top-1 match\n";

struct Options {
  std::string bundle, model, tokenizer, format = "reference", prompt, textFile;
  std::string headFormat, embeddingFormat;
  std::string saveReference, reference, tokenLog;
  std::string tokenizeFile, actCalib;
  CalibrationFlags calib;
  int64_t steps = 64, ctx = 0, maxTokens = 0;
  uint64_t seed = 1, signSeed = 0;
  float temp = 0.0f, topP = 1.0f;
  unsigned threads = 0;
  std::string device = "auto";
  bool cudaGraphs = true;
  bool actQuant = false, info = false;
};

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("%s%s%s", usage, kCalibrationUsage, usageTail);
      std::exit(0);
    }
    if (a == "--act-quant" || a == "--info") { // the flags without a value
      (a == "--info" ? o.info : o.actQuant) = true;
      continue;
    }
    if (a == "--no-cuda-graph") {
      o.cudaGraphs = false;
      continue;
    }
    if (i + 1 >= argc)
      fail("missing value for " + a + "\n" + usage);
    std::string v = argv[++i];
    if (a == "--bundle") o.bundle = v;
    else if (a == "--model") o.model = v;
    else if (a == "--tokenizer") o.tokenizer = v;
    else if (a == "--format") o.format = v;
    else if (a == "--head-format") o.headFormat = v;
    else if (a == "--embedding-format") o.embeddingFormat = v;
    else if (a == "--prompt") o.prompt = v;
    else if (a == "--perplexity") o.textFile = v;
    else if (a == "-n") o.steps = parseInt(a, v);
    else if (a == "--ctx") o.ctx = parseInt(a, v);
    else if (a == "--max-tokens") o.maxTokens = parseInt(a, v);
    else if (a == "--seed") o.seed = uint64_t(parseInt(a, v));
    else if (a == "--sign-seed") o.signSeed = uint64_t(parseInt(a, v));
    else if (a == "--threads") o.threads = unsigned(parseInt(a, v));
    else if (a == "--device") o.device = v;
    else if (parseCalibrationFlag(a, v, o.calib)) continue;
    else if (a == "--save-reference") o.saveReference = v;
    else if (a == "--reference") o.reference = v;
    else if (a == "--token-log") o.tokenLog = v;
    else if (a == "--tokenize") o.tokenizeFile = v;
    else if (a == "--act-calib") o.actCalib = v;
    else if (a == "--temp")
      o.temp = parseFloat(a, v, 0.0f, 1e6f);
    else if (a == "--top-p")
      o.topP = parseFloat(a, v, 1e-6f, 1.0f);
    else
      fail("unknown option " + a + "\n" + usage);
  }
  if (o.model.empty() == o.bundle.empty())
    fail(std::string("give exactly one of --bundle and --model\n") + usage);
  if (!o.bundle.empty() && (o.format != "reference" || o.actQuant ||
                            !o.tokenizer.empty()))
    fail("--format, --act-quant and --tokenizer are for --model: a bundle "
         "was quantized when it was compiled and carries its tokenizer");
  if (!o.tokenizeFile.empty()) {
    if (!o.prompt.empty() || !o.textFile.empty() || o.format != "reference" ||
        o.info || o.calib.enabled())
      fail("--tokenize goes alone with --model or --bundle");
    return o;
  }
  if (o.info && o.bundle.empty())
    fail("--info describes a --bundle");
  // --calibrate with --calib-stats and nothing else only writes the file.
  bool collectOnly = !o.calib.text.empty() && !o.calib.stats.empty() &&
                     o.format == "reference" && o.prompt.empty() &&
                     o.textFile.empty();
  if (!o.info && !collectOnly && o.prompt.empty() == o.textFile.empty())
    fail(std::string("give exactly one of --prompt and --perplexity\n") + usage);
  // Checked before the (possibly long) model load.
  if (isTwinQuantSpec(o.format)) {
    TwinQuantization twin;
    if (Status s = parseTwinQuantization(o.format, twin); !s)
      fail(s.message());
    if (o.actQuant || !o.headFormat.empty() || !o.calib.text.empty())
      fail("twinquant runs with weights only: no --act-quant, --head-format "
           "or --calibrate (give --calib-stats collected before)");
  } else if (isTwlaSpec(o.format)) {
    TwlaQuantization twla;
    if (Status s = parseTwlaQuantization(o.format, twla); !s)
      fail(s.message());
    if (o.actQuant || !o.headFormat.empty() || !o.calib.enabled())
      fail("twla takes no --act-quant or --head-format (act=4 quantizes its "
           "activations) and needs --calib-stats or --calibrate");
    if (twla.activationBits == 4 && o.actCalib.empty() && o.calib.text.empty())
      fail("twla act=4 searches its activation clips and bits on calibration "
           "text: give --act-calib TEXT or --calibrate TEXT");
    if (!o.actCalib.empty() && !o.textFile.empty() &&
        std::filesystem::path(o.actCalib).filename() ==
            std::filesystem::path(o.textFile).filename())
      fail("the activation calibration text " + o.actCalib +
           " is the evaluation text: calibrate on another one");
  } else if (o.format != "reference" && !format::parseFormatName(o.format)) {
    fail("unknown format '" + o.format + "'");
  }
  for (const std::string *f : {&o.headFormat, &o.embeddingFormat})
    if (!f->empty() && !format::parseFormatName(*f))
      fail("unknown format '" + *f + "'");
  if (o.headFormat.empty() != o.embeddingFormat.empty())
    fail("--head-format and --embedding-format go together");
  if (o.actQuant && o.format == "reference")
    fail("--act-quant follows the weight formats: give a --format");
  if (o.calib.enabled() && !collectOnly &&
      (o.format == "reference" || !o.bundle.empty()))
    fail("--calibrate and --calib-stats quantize a --model: give a --format "
         "(or --calibrate TEXT --calib-stats FILE alone to only collect)");
  checkCalibrationFlags(o.calib, o.textFile);
  if ((!o.reference.empty() || !o.saveReference.empty() || !o.tokenLog.empty()) &&
      o.textFile.empty())
    fail("--reference, --save-reference and --token-log go with --perplexity");
  return o;
}

void printReport(const QuantReport &r) {
  std::printf("format: %s\n", r.format.c_str());
  std::printf("bits/weight linears: %.4f\n", r.linearBitsPerWeight());
  std::printf("bits/weight model: %.4f\n", r.modelBitsPerWeight());
  double err = 0, worst = 0;
  std::string worstName;
  for (const TensorReport &t : r.linears) {
    err += t.relError;
    if (t.relError > worst)
      worst = t.relError, worstName = t.name;
  }
  if (!r.linears.empty() && worst > 0)
    std::printf("relative error of linears: mean %.4f, worst %.4f (%s)\n",
                err / double(r.linears.size()), worst, worstName.c_str());
  // Grouped by projection: "attn_q.weight -> q8 (30 layers)".
  std::map<std::string, int> groups;
  size_t fallbacks = 0;
  for (const TensorReport &t : r.linears) {
    if (!t.fallback)
      continue;
    ++fallbacks;
    size_t dot = t.name.find('.', 4); // after "blk.<i>"
    groups[t.name.substr(dot + 1) + " -> " + t.format] += 1;
  }
  std::printf("fallbacks: %zu of %zu linears", fallbacks, r.linears.size());
  const char *sep = ": ";
  for (const auto &[what, n] : groups) {
    std::printf("%s%s (%d layers)", sep, what.c_str(), n);
    sep = ", ";
  }
  std::printf("\n");
}

format::CodecOptions codecOptions(const Options &o) {
  format::CodecOptions co;
  co.signSeed = o.signSeed;
  return co;
}

/// Runs a whole-model quantization under a progress bar; prints its time
/// and the peak memory.
using QuantizeRun =
    std::function<Status(QuantReport &, const std::function<void(int64_t, int64_t)> &)>;
QuantReport timedQuantization(const Options &o, const QuantizeRun &run) {
  auto t0 = std::chrono::steady_clock::now();
  QuantReport r;
  Progress bar("quantizing to " + o.format);
  if (Status s = run(r, [&](int64_t d, int64_t t) { bar.update(d, t, "weights"); });
      !s)
    fail(s.message());
  bar.finish();
  double secs = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "quantized %zu linears to %s in %.1f s\n",
               r.linears.size(), o.format.c_str(), secs);
  std::printf("quantization seconds: %.1f\n", secs);
  std::printf("peak memory GiB: %.2f\n", peakMemoryGiB());
  return r;
}

/// twinquant of every linear, its SVD weighted by diag H of --calib-stats.
QuantReport quantizeTwin(Model &m, const Options &o) {
  TwinQuantization twin;
  if (Status s = parseTwinQuantization(o.format, twin); !s)
    fail(s.message());
  CalibrationStats stats;
  if (!o.calib.stats.empty())
    if (Status s = CalibrationStats::open(o.calib.stats, m, stats); !s)
      fail(s.message());
  QuantReport r = timedQuantization(o, [&](QuantReport &out, const auto &progress) {
    return quantizeModelTwin(m, twin, o.threads, out, progress,
                             o.calib.stats.empty() ? nullptr : &stats);
  });
  if (!o.calib.stats.empty())
    std::printf("twinquant with %lld calibration positions: SVD weighted by "
                "sqrt(diag H): %s; residual calibrated: %s\n",
                (long long)stats.tokens(), twin.importance ? "yes" : "no",
                twin.calibrated ? "yes" : "no");
  return r;
}

/// One line per input: its rotation and, with act=4, its activations.
void printTwlaInputs(const TwlaInputs &inputs, bool activations) {
  int learned = 0, rotated = 0, eight = 0;
  double fixedLoss = 0, learnedLoss = 0, bitsK = 0, k = 0;
  for (const TwlaInput &in : inputs) {
    std::printf("twla input %s: rotation %s", in.name.c_str(), in.rotationKind.c_str());
    if (in.rotation && in.rotationKind != "none")
      std::printf(" %lldx%lld, fit loss fixed %.5f", (long long)in.rotation->l,
                  (long long)in.rotation->r, in.fixedLoss);
    if (in.learnedLoss > 0)
      std::printf(" learned %.5f (%d Cayley steps kept)", in.learnedLoss, in.accepted);
    if (activations && in.rotation)
      std::printf("; activations %d bits clip %.2f (output error at 4 bits %.5f, "
                  "at 8 bits %.6f)", in.bits, in.clip, in.err4, in.err8);
    std::printf("\n");
    if (in.learnedLoss > 0) {
      ++rotated;
      learned += in.rotationKind == "learned";
      fixedLoss += in.fixedLoss;
      learnedLoss += in.learnedLoss;
    }
    if (activations && in.rotation) {
      int64_t kk = in.rotation->size();
      eight += in.bits == 8;
      bitsK += double(in.bits * kk);
      k += double(kk);
    }
  }
  if (rotated)
    std::printf("twla rotation: learned kept on %d of %d inputs; mean weight-fit "
                "loss fixed %.5f, learned %.5f\n",
                learned, rotated, fixedLoss / rotated, learnedLoss / rotated);
  if (activations && k > 0)
    std::printf("twla activations: 8 bits on %d of %zu quantizers, mean bits "
                "(weighted by K) %.3f\n",
                eight, inputs.size(), bitsK / k);
}

/// twla: statistics (collected or read), the weights, and with act=4 the
/// activation plan (returned in `plan`).
QuantReport quantizeTwla(Model &m, const Tokenizer &tok, const Options &o,
                         ActivationPlan &plan) {
  TwlaQuantization twla;
  if (Status s = parseTwlaQuantization(o.format, twla); !s)
    fail(s.message());
  StatisticsFile file;
  if (o.calib.text.empty())
    file.path = o.calib.stats;
  else
    collectStatistics(m, tok, o.calib, o.threads, file);
  CalibrationStats stats;
  if (Status s = CalibrationStats::open(file.path, m, stats); !s)
    fail(s.message());
  TwlaInputs inputs;
  QuantReport r = timedQuantization(o, [&](QuantReport &out, const auto &progress) {
    return quantizeModelTwla(m, twla, stats, o.threads, out, inputs, progress);
  });
  std::printf("twla statistics: %lld calibration positions of %s\n",
              (long long)stats.tokens(), stats.path().c_str());
  if (twla.activationBits == 4) {
    std::string text = o.actCalib.empty() ? o.calib.text : o.actCalib;
    std::vector<int32_t> tokens = tok.encode(readFileOrFail(text), false);
    auto t0 = std::chrono::steady_clock::now();
    if (Status s = planTwlaActivations(
            m, twla, tokens, std::min(o.calib.ctx, m.config.seqLen),
            tok.addBos() ? tok.bos() : -1, o.threads, inputs, plan);
        !s)
      fail(s.message());
    std::printf("twla activation search: %lld tokens of %s, %lld rows per "
                "quantizer, %.1f s\n",
                (long long)std::min<int64_t>(int64_t(tokens.size()),
                                             twla.activationTokens),
                std::filesystem::path(text).filename().c_str(),
                (long long)twla.activationSamples,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                    .count());
  }
  printTwlaInputs(inputs, twla.activationBits == 4);
  return r;
}

QuantReport quantize(Model &m, const Tokenizer &tok, const Options &o,
                     ActivationPlan &twlaPlan) {
  if (o.format == "reference")
    return referenceReport(m);
  if (isTwinQuantSpec(o.format))
    return quantizeTwin(m, o);
  if (isTwlaSpec(o.format))
    return quantizeTwla(m, tok, o, twlaPlan);
  format::FormatKind kind = *format::parseFormatName(o.format);
  StatisticsFile file;
  CalibrationStats stats;
  CalibratedQuantization calibrated;
  if (o.calib.enabled()) {
    if (o.calib.text.empty())
      file.path = o.calib.stats;
    else
      collectStatistics(m, tok, o.calib, o.threads, file);
    openStatistics(file, m, o.calib, stats, calibrated);
  }
  QuantReport r = timedQuantization(o, [&](QuantReport &out, const auto &progress) {
    return quantizeModel(m, kind, codecOptions(o), o.threads, out, progress,
                         calibrated.stats ? &calibrated : nullptr);
  });
  if (calibrated.stats)
    std::printf("calibrated: %s, scales %s, dampening %g, %lld calibration "
                "positions\n",
                o.calib.mode.c_str(), o.calib.scales.c_str(), o.calib.dampening,
                (long long)stats.tokens());
  if (!o.headFormat.empty()) {
    OutputStorage storage = outputStorage(
        m, *format::parseFormatName(o.embeddingFormat),
        *format::parseFormatName(o.headFormat));
    if (Status s = quantizeEmbeddingAndHead(m, storage, codecOptions(o),
                                            o.threads, r);
        !s)
      fail(s.message());
    std::printf("embedding: %s, head: %s%s\n",
                std::string(format::formatName(storage.embedding)).c_str(),
                std::string(format::formatName(storage.head)).c_str(),
                storage.shared ? " (one tied tensor)" : "");
  }
  return r;
}

/// Feeds each linear the int8 activations the compiled model would give it.
void enableActivationQuantization(Forward &fwd, const QuantReport &r,
                                  const Options &o) {
  ActivationPlan plan;
  if (Status s = activationPlanFor(r, codecOptions(o), plan); !s)
    fail(s.message());
  if (!o.headFormat.empty()) {
    auto head = format::createCodec(fittingFormat(
        *format::parseFormatName(o.headFormat), fwd.config().dim));
    if (head->kind() != format::FormatKind::F16)
    {
      ActivationQuant q;
      q.rotationBlock = head->rotationBlock();
      q.seed = o.signSeed;
      plan[Forward::kOutputHead] = q;
    }
  }
  if (Status s = fwd.setActivationQuantization(plan); !s)
    fail(s.message());
  size_t rotated = size_t(std::count_if(
      plan.begin(), plan.end(), [](const auto &e) { return e.second.rotationBlock > 0; }));
  bool head = plan.count(Forward::kOutputHead);
  std::printf("activations: int8 per 32, as the compiled activation "
              "placement computes them, on %zu of %zu linears%s (%zu rotated; "
              "f16 linears keep float)\n",
              plan.size() - head, r.linears.size(),
              head ? " and the head" : "", rotated);
}

/// --tokenize: the ids the model's tokenizer gives the whole text, as
/// perplexity scores it (no BOS, special tokens not parsed).
void printTokenIds(const Tokenizer &tok, const std::string &path) {
  std::string out;
  for (int32_t id : tok.encode(readFileOrFail(path), false))
    out += std::to_string(id) + '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void generate(const LanguageModel &lm, const std::string &engine,
              const Tokenizer &tok, const Options &o) {
  std::vector<int32_t> tokens = tok.encode(o.prompt, tok.addBos(), true);
  if (tokens.empty())
    fail("the prompt encodes to no tokens");
  int64_t limit = std::min<int64_t>(lm.context, int64_t(tokens.size()) + o.steps);
  if (int64_t(tokens.size()) >= lm.context)
    fail("the prompt (" + std::to_string(tokens.size()) +
         " tokens) does not fit the context of " + std::to_string(lm.context));
  rt::Sampler sampler({o.temp, o.topP, o.seed});
  std::vector<float> logits;
  std::fputs(tok.decode(tokens).c_str(), stdout);
  auto t0 = std::chrono::steady_clock::now();
  if (Status s = lm.run(tokens.data(), int64_t(tokens.size()), 0, logits, false); !s)
    fail(s.message());
  auto t1 = std::chrono::steady_clock::now();
  int64_t generated = 0;
  for (int64_t pos = int64_t(tokens.size()); pos < limit; ++pos) {
    int32_t next = sampler.sample(logits.data(), lm.vocabSize);
    if (next == tok.eos())
      break;
    std::fputs(tok.decode(tokens.back(), next).c_str(), stdout);
    std::fflush(stdout);
    tokens.push_back(next);
    ++generated;
    if (pos + 1 < limit)
      if (Status s = lm.run(&next, 1, pos, logits, false); !s)
        fail(s.message());
  }
  auto t2 = std::chrono::steady_clock::now();
  double prefill = std::chrono::duration<double>(t1 - t0).count();
  double decode = std::chrono::duration<double>(t2 - t1).count();
  std::printf("\n");
  std::fflush(stdout);
  std::fprintf(stderr,
               "prompt: %zu tokens, %.1f tok/s; generated: %lld tokens, "
               "%.1f tok/s (%s)\n",
               tokens.size() - size_t(generated),
               double(tokens.size() - size_t(generated)) / prefill,
               (long long)generated, generated / (decode > 0 ? decode : 1e-9),
               engine.c_str());
}

void measurePerplexity(const LanguageModel &lm, int64_t ctx,
                       const Tokenizer &tok, const Options &o) {
  std::vector<int32_t> tokens = tok.encode(readFileOrFail(o.textFile), false);
  if (o.maxTokens > 0 && int64_t(tokens.size()) > o.maxTokens)
    tokens.resize(size_t(o.maxTokens));
  int32_t bos = tok.addBos() ? tok.bos() : -1;
  ReferenceReader ref;
  if (!o.reference.empty()) {
    if (Status s = ReferenceReader::open(o.reference, lm.vocabSize, ref); !s)
      fail(s.message());
    if (Status s = ref.checkTargets(scoredTargets(tokens, ctx, bos)); !s)
      fail(s.message());
  }
  ReferenceWriter writer;
  std::ofstream log;
  if (!o.tokenLog.empty()) {
    log.open(o.tokenLog);
    if (!log)
      fail(o.tokenLog + ": cannot create");
    log << "# nll kl top1 (kl and top1 are -1 without --reference)\n";
  }
  int64_t index = 0, agree = 0;
  double klSum = 0;
  char line[64];
  auto onToken = [&](const float *logits, int64_t vocab, int32_t target) {
    double nll = negLogLikelihood(logits, vocab, target), kl = -1;
    int top1 = -1;
    if (!o.reference.empty()) {
      const TopDistribution &d = ref.at(index);
      kl = coarseKl(d, logits, vocab);
      top1 = argmax(logits, vocab) == d.ids[0];
      klSum += kl;
      agree += top1;
    }
    if (!o.saveReference.empty())
      writer.add(coarsen(logits, vocab), target);
    if (log.is_open()) {
      std::snprintf(line, sizeof line, "%.6f %.6g %d\n", nll, kl, top1);
      log << line;
    }
    ++index;
  };
  Progress bar("perplexity");
  PerplexityResult r;
  if (Status s = perplexity(lm, tokens, ctx, bos, r,
                            [&](int64_t d, int64_t t) { bar.update(d, t, "tok"); },
                            onToken);
      !s)
    fail(o.textFile + ": " + s.message());
  bar.finish();
  if (!o.saveReference.empty())
    if (Status s = writer.write(o.saveReference, lm.vocabSize); !s)
      fail(s.message());
  if (log.is_open() && !(log.flush()))
    fail(o.tokenLog + ": write failed");
  if (!o.reference.empty() && index > 0)
    std::printf("mean KL from reference: %.6f\ntop-1 agreement: %.4f\n",
                klSum / double(index), double(agree) / double(index));
  std::printf("perplexity: %.4f\n", r.perplexity());
  std::printf("tokens scored: %lld (%lld window%s of %lld positions%s)\n",
              (long long)r.scored, (long long)r.windows,
              r.windows == 1 ? "" : "s", (long long)ctx,
              bos >= 0 ? ", BOS first" : "");
  std::printf("tokens/s: %.1f\n",
              double(r.windows * ctx) / r.seconds);
}

} // namespace

/// What a bundle holds: its tables and code objects.
void describeBundle(const rt::Bundle &b) {
  uint64_t weights = 0;
  for (const rt::TensorInfo &t : b.tensors())
    weights += t.size;
  std::printf("tensors: %zu, %.1f MB\n", b.tensors().size(), weights / 1e6);
  for (const rt::CodeObject &c : b.code())
    std::printf("code: %s %s (%s), %.1f KB\n", c.target.c_str(),
                c.kind.c_str(), c.arch.c_str(), c.size / 1e3);
  for (const rt::FunctionInfo &f : b.functions())
    std::printf("function: %s -> %s (%zu parameters)\n", f.name.c_str(),
                f.entry.c_str(), f.params.size());
  std::printf("plan:");
  for (const rt::PlanStep &p : b.plan())
    std::printf(" %s x%u", p.function.c_str(), p.repeat);
  std::printf("\nconfig:");
  for (const auto &[key, value] : b.meta().config)
    std::printf(" %s=%s", key.c_str(), value.c_str());
  std::printf("\n");
}

/// A bundle's GPU code is not run yet: says so, and why the CPU runs it.
/// Runs a compiled bundle: its tokenizer, its CPU code, its context.
int runBundle(const Options &o) {
  std::unique_ptr<rt::Bundle> bundle;
  if (Status s = rt::Bundle::open(o.bundle, bundle); !s)
    fail(s.message()); // names the file
  const rt::BundleMeta &meta = bundle->meta();
  Tokenizer tok;
  if (Status s = deserializeTokenizer(meta.tokenizer.data(),
                                      meta.tokenizer.size(), tok);
      !s)
    fail(o.bundle + ": its tokenizer: " + s.message());
  if (!o.tokenizeFile.empty()) {
    printTokenIds(tok, o.tokenizeFile);
    return 0;
  }
  auto config = [&](const char *key) {
    auto it = meta.config.find(key);
    return it == meta.config.end() ? std::string("?") : it->second;
  };
  std::printf("bundle: %s (%s, %s layers, dim %s; %s, rotation %s; "
              "compiled by %s, context %lld)\n",
              o.bundle.c_str(), config("arch").c_str(),
              config("n_layers").c_str(), config("dim").c_str(),
              config("format").c_str(), config("rotation").c_str(),
              meta.compilerVersion.c_str(), (long long)meta.maxContext);
  if (o.info) {
    describeBundle(*bundle);
    return 0;
  }
  rt::OpenOptions open;
  open.device = o.device;
  open.threads = o.threads;
  open.cudaGraphs = o.cudaGraphs;
  std::unique_ptr<rt::BundleModel> model;
  std::string notice;
  if (Status s = rt::openBundleModel(*bundle, open, model, notice); !s)
    fail(o.bundle + ": " + s.message());
  if (!notice.empty())
    std::fprintf(stderr, "itq3-run: %s\n", notice.c_str());
  LanguageModel lm;
  lm.run = [&](const int32_t *t, int64_t n, int64_t pos,
               std::vector<float> &logits, bool all) {
    return model->run(t, n, pos, logits, all);
  };
  lm.context = model->context();
  lm.vocabSize = model->vocabSize();
  if (o.textFile.empty()) {
    const char *env = std::getenv("OMP_NUM_THREADS");
    // Emulated GPU code runs its blocks one after another on one thread.
    std::string what =
        model->backend() != "cpu" ? model->backend()
        : config("cpu_mapping") == "gpu-emulation"
            ? "GPU mapping emulated on the CPU, 1 thread"
            : "compiled CPU code, " +
                  (o.threads ? std::to_string(o.threads)
                   : env     ? std::string(env)
                             : std::to_string(
                                   std::thread::hardware_concurrency())) +
                  " threads";
    generate(lm, what, tok, o);
    return 0;
  }
  if (o.ctx < 2 || o.ctx > lm.context)
    fail("--perplexity needs --ctx C in [2, " + std::to_string(lm.context) +
         "] (the bundle's compiled context)");
  measurePerplexity(lm, o.ctx, tok, o);
  return 0;
}

int main(int argc, char **argv) {
  setToolName("itq3-run");
  Options o = parseArgs(argc, argv);
  if (!o.bundle.empty())
    return runBundle(o);
  Model model;
  std::unique_ptr<Tokenizer> tok;
  if (Status s = loadModel(o.model, model, &tok); !s)
    fail(s.message());
  if (!o.tokenizer.empty()) {
    tok = std::make_unique<Tokenizer>();
    if (Status s = loadTokenizerFile(o.tokenizer, model.config.vocabSize, *tok); !s)
      fail(s.message());
  }
  if (!tok)
    fail(o.model + " carries no tokenizer: pass --tokenizer FILE "
         "(tokenizer.bin or tokenizer.json)");
  if (!o.tokenizeFile.empty()) {
    printTokenIds(*tok, o.tokenizeFile);
    return 0;
  }
  std::printf("model: %s (%s %s, %lld parameters, %lld layers, dim %lld)\n",
              o.model.c_str(), model.source.c_str(), model.config.arch.c_str(),
              (long long)model.parameterCount(), (long long)model.config.nLayers,
              (long long)model.config.dim);
  if (o.format == "reference" && !o.calib.text.empty()) {
    StatisticsFile file; // collect only (parseArgs checked the flags)
    collectStatistics(model, *tok, o.calib, o.threads, file);
    return 0;
  }
  ActivationPlan twlaPlan;
  QuantReport report = quantize(model, *tok, o, twlaPlan);
  printReport(report);
  if (!o.textFile.empty() && o.ctx < 2)
    fail("--perplexity needs --ctx C (at least 2)");
  // The KV cache holds ctx positions: generation defaults to at most
  // kGenerationContext rather than the model's trained length, which can be
  // 128K positions and gigabytes of cache.
  constexpr int64_t kGenerationContext = 4096;
  int64_t ctx = o.ctx > 0 ? o.ctx
                          : std::min(model.config.seqLen, kGenerationContext);
  std::unique_ptr<Forward> fwd;
  if (Status s = Forward::create(model, ctx, o.threads, fwd); !s)
    fail(s.message());
  if (o.actQuant)
    enableActivationQuantization(*fwd, report, o);
  if (!twlaPlan.empty()) {
    if (Status s = fwd->setActivationQuantization(twlaPlan); !s)
      fail(s.message());
    std::printf("activations: twla per-token 4/8 bits of R x on %zu of %zu "
                "linears\n",
                twlaPlan.size(), report.linears.size());
  }
  LanguageModel lm = languageModel(*fwd);
  std::string engine = "reference forward pass, " +
                       std::to_string(fwd->threads()) + " threads";
  if (o.textFile.empty())
    generate(lm, engine, *tok, o);
  else
    measurePerplexity(lm, lm.context, *tok, o);
  return 0;
}
