//===- FormatsCommand.cpp - `itq3-bench formats` --------------------------===//
//
// For every format and synthetic matrix kind: relative error
// ||W^ - W|| / ||W|| in the weight domain, bits per weight from the stored
// bytes, encode time. Then the ablations of the grid codec (weighting, grid
// rule) and the encode speed of one 4096 x 14336 matrix.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Synthetic.h"

#include "itq3/Format/BitAccounting.h"
#include "itq3/Format/Codec.h"
#include "itq3/Format/GridCodec.h"

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace itq3::bench {

namespace {

using format::Codec;
using format::CodecOptions;
using format::FormatKind;

struct Options {
  int64_t rows = 4096, cols = 4096;
  int64_t bigRows = 4096, bigCols = 14336;
  unsigned threads = 2;
  std::string json;
  bool big = true;
};

struct Variant {
  std::string label;
  std::function<std::unique_ptr<Codec>()> make;
};

struct Result {
  std::string table, label, kind;
  int64_t rows = 0, cols = 0;
  double relError = 0, bpw = 0, encodeSeconds = 0;
  double encodeCpuSeconds = 0; // all threads: robust to a loaded machine
  std::string error; // non-empty when the codec refused the matrix
  double mweightsPerSecond() const {
    return encodeSeconds > 0 ? double(rows * cols) / encodeSeconds / 1e6 : 0;
  }
};

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

/// CPU time of the whole process (all threads), in seconds.
double processCpuSeconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

double relativeError(const std::vector<float> &w, const std::vector<float> &r) {
  double num = 0, den = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    double e = double(r[i]) - w[i];
    num += e * e;
    den += double(w[i]) * w[i];
  }
  return std::sqrt(num / den);
}

Result measure(const std::string &table, const Variant &v, MatrixKind kind,
               const std::vector<float> &w, int64_t rows, int64_t cols,
               unsigned threads) {
  Result res;
  res.table = table;
  res.label = v.label;
  res.kind = matrixKindName(kind);
  res.rows = rows;
  res.cols = cols;
  std::unique_ptr<Codec> codec = v.make();
  std::vector<uint8_t> packed(size_t(codec->matrixBytes(rows, cols)));
  format::EncodeOptions eo;
  eo.threads = threads;
  auto start = std::chrono::steady_clock::now();
  double cpuStart = processCpuSeconds();
  format::Status s = codec->encodeRows(w.data(), rows, cols, packed.data(), eo);
  res.encodeSeconds = seconds(start);
  res.encodeCpuSeconds = processCpuSeconds() - cpuStart;
  std::vector<float> back(w.size());
  if (s.ok())
    s = codec->decodeRows(packed.data(), rows, cols, back.data());
  if (!s.ok()) {
    res.error = s.message();
    return res;
  }
  res.relError = relativeError(w, back);
  res.bpw = format::tensorBitsPerWeight(int64_t(packed.size()), rows * cols);
  return res;
}

Variant plain(FormatKind kind, CodecOptions o = {}, std::string label = "") {
  if (label.empty())
    label = std::string(format::formatName(kind));
  return {label, [=] { return format::createCodec(kind, o); }};
}

Variant grid(FormatKind kind, std::string label, format::GridCodecConfig cfg) {
  return {label, [=] { return format::createGridCodec(kind, {}, cfg); }};
}

const MatrixKind kKinds[] = {MatrixKind::Gaussian, MatrixKind::StudentT4,
                             MatrixKind::OutlierColumns};

void printTable(const std::string &title, const std::vector<Result> &results) {
  std::printf("\n### %s\n\n", title.c_str());
  std::printf("| format | matrix | rel. error | bits/weight | encode s | "
              "encode CPU s | Mweights/s |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (const Result &r : results) {
    if (!r.error.empty()) {
      std::printf("| %s | %s | refused: %s | | | | |\n", r.label.c_str(),
                  r.kind.c_str(), r.error.c_str());
      continue;
    }
    std::printf("| %s | %s | %.4f | %.4f | %.3f | %.3f | %.1f |\n",
                r.label.c_str(), r.kind.c_str(), r.relError, r.bpw,
                r.encodeSeconds, r.encodeCpuSeconds, r.mweightsPerSecond());
  }
  std::fflush(stdout);
}

std::vector<Result> runTable(const std::string &title,
                             const std::vector<Variant> &variants,
                             const Options &o) {
  std::vector<Result> results;
  for (MatrixKind kind : kKinds) {
    std::vector<float> w = makeMatrix(kind, o.rows, o.cols, 1 + int(kind));
    for (const Variant &v : variants)
      results.push_back(measure(title, v, kind, w, o.rows, o.cols, o.threads));
  }
  printTable(title, results);
  return results;
}

std::vector<Variant> mainVariants() {
  CodecOptions signs;
  signs.signSeed = 1;
  return {plain(FormatKind::F16), plain(FormatKind::Q8), plain(FormatKind::Q4),
          plain(FormatKind::Q3),  plain(FormatKind::Q3R), plain(FormatKind::IQ3),
          plain(FormatKind::ITQ3S),
          plain(FormatKind::ITQ3S, signs, "itq3_s (signs, seed 1)"),
          plain(FormatKind::ITQ3S64), plain(FormatKind::PTQTP)};
}

std::vector<Variant> weightingVariants() {
  format::GridCodecConfig flat, square;
  square.weighting = format::GridWeighting::Square;
  return {grid(FormatKind::IQ3, "iq3 flat", flat),
          grid(FormatKind::IQ3, "iq3 x^2", square),
          grid(FormatKind::ITQ3S, "itq3_s flat", flat),
          grid(FormatKind::ITQ3S, "itq3_s x^2", square)};
}

std::vector<Variant> gridRuleVariants() {
  const format::GridRule rules[] = {
      format::GridRule::CheckerboardNorm, format::GridRule::SmallestNorm,
      format::GridRule::UsageFrequency, format::GridRule::IteratedUsage};
  std::vector<Variant> out;
  for (FormatKind kind : {FormatKind::IQ3, FormatKind::ITQ3S})
    for (format::GridRule rule : rules) {
      format::GridCodecConfig cfg;
      cfg.tables = std::make_shared<format::GridTables>(format::generateGrid(rule));
      std::string label = std::string(format::formatName(kind)) + " grid=" +
                          format::gridRuleName(rule) +
                          (rule == format::kBuiltinGridRule ? " (builtin)" : "");
      out.push_back(grid(kind, label, cfg));
    }
  return out;
}

Result runBig(const Options &o) {
  std::vector<float> w = makeMatrix(MatrixKind::Gaussian, o.bigRows, o.bigCols, 7);
  Result r = measure("big", plain(FormatKind::ITQ3S), MatrixKind::Gaussian, w,
                     o.bigRows, o.bigCols, o.threads);
  std::printf("\n### itq3_s encode of one %lldx%lld Gaussian matrix, %u threads\n\n",
              (long long)o.bigRows, (long long)o.bigCols, o.threads);
  std::printf("encode %.2f s wall (%.1f Mweights/s), %.2f s CPU over all threads "
              "(%.2f s per thread if each had a core), rel. error %.4f, "
              "%.4f bits/weight\n",
              r.encodeSeconds, r.mweightsPerSecond(), r.encodeCpuSeconds,
              r.encodeCpuSeconds / o.threads, r.relError, r.bpw);
  return r;
}

void writeJson(const std::string &path, const std::vector<Result> &results) {
  FILE *f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "itq3-bench: cannot write %s\n", path.c_str());
    return;
  }
  std::fprintf(f, "[\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result &r = results[i];
    std::fprintf(f,
                 "  {\"table\": \"%s\", \"format\": \"%s\", \"matrix\": \"%s\", "
                 "\"rows\": %lld, \"cols\": %lld, \"ok\": %s, \"rel_error\": %.6f, "
                 "\"bits_per_weight\": %.6f, \"encode_s\": %.4f, "
                 "\"encode_cpu_s\": %.4f, \"mweights_per_s\": %.2f}%s\n",
                 r.table.c_str(), r.label.c_str(), r.kind.c_str(), (long long)r.rows,
                 (long long)r.cols, r.error.empty() ? "true" : "false", r.relError,
                 r.bpw, r.encodeSeconds, r.encodeCpuSeconds, r.mweightsPerSecond(),
                 i + 1 < results.size() ? "," : "");
  }
  std::fprintf(f, "]\n");
  std::fclose(f);
}

bool parse(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool hasValue = i + 1 < argc;
    if (a == "--rows" && hasValue)
      o.rows = std::atoll(argv[++i]);
    else if (a == "--cols" && hasValue)
      o.cols = std::atoll(argv[++i]);
    else if (a == "--threads" && hasValue)
      o.threads = unsigned(std::atoi(argv[++i]));
    else if (a == "--json" && hasValue)
      o.json = argv[++i];
    else if (a == "--no-big")
      o.big = false;
    else if (a == "--quick") {
      o.rows = 256;
      o.cols = 1024;
      o.big = false;
    } else {
      std::fprintf(stderr, "itq3-bench formats: bad option '%s'\n", a.c_str());
      return false;
    }
  }
  if (o.rows <= 0 || o.cols <= 0 || o.cols % 256 != 0) {
    std::fprintf(stderr, "itq3-bench formats: need rows > 0 and cols a "
                         "positive multiple of 256\n");
    return false;
  }
  return true;
}

} // namespace

int runFormats(int argc, char **argv) {
  Options o;
  if (!parse(argc, argv, o))
    return 2;
  std::printf("## itq3-bench formats: %lldx%lld, %u encode threads\n",
              (long long)o.rows, (long long)o.cols, o.threads);
  std::vector<Result> all;
  auto append = [&](std::vector<Result> r) { all.insert(all.end(), r.begin(), r.end()); };
  append(runTable("All formats", mainVariants(), o));
  append(runTable("Grid codec weighting: flat vs x^2", weightingVariants(), o));
  append(runTable("Grid selection rule (d4 = builtin)",
                  gridRuleVariants(), o));
  if (o.big)
    all.push_back(runBig(o));
  if (!o.json.empty())
    writeJson(o.json, all);
  return 0;
}

} // namespace itq3::bench
