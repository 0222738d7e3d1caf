//===- CalibrationFile.cpp - The calibration statistics file --------------===//
//
// Layout in Calibration.h. Every read is checked, so a truncated or foreign
// file is an error that names the file, never a wrong statistic.
//
//===----------------------------------------------------------------------===//

#include "CalibrationFile.h"

#include <cstring>
#include <fstream>

namespace itq3::model {

namespace {

constexpr char kMagic[8] = {'I', 'T', 'Q', '3', 'C', 'A', 'L', '\0'};
constexpr uint32_t kVersion = 1;

/// FNV-1a, 64 bits: enough to tell models apart, not a security measure.
struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void bytes(const void *p, size_t n) {
    const uint8_t *b = static_cast<const uint8_t *>(p);
    for (size_t i = 0; i < n; ++i)
      h = (h ^ b[i]) * 0x100000001b3ull;
  }
  void i64(int64_t v) { bytes(&v, sizeof v); }
  void str(const std::string &s) { bytes(s.data(), s.size()); }
};

template <class T> void put(std::ostream &os, T v) {
  os.write(reinterpret_cast<const char *>(&v), sizeof v);
}
template <class T> bool get(std::istream &is, T &v) {
  return bool(is.read(reinterpret_cast<char *>(&v), sizeof v));
}

} // namespace

std::string calibrationInput(const std::string &linear) {
  static const std::pair<const char *, const char *> kInputs[] = {
      {"attn_q", "attn_in"},       {"attn_k", "attn_in"},
      {"attn_v", "attn_in"},       {"attn_output", "attn_output_in"},
      {"ffn_gate", "ffn_in"},      {"ffn_up", "ffn_in"},
      {"ffn_down", "ffn_down_in"}};
  // blk.<l>.<what>.weight
  if (linear.rfind("blk.", 0) != 0)
    return "";
  size_t dot = linear.find('.', 4);
  if (dot == std::string::npos || linear.size() < 7 ||
      linear.compare(linear.size() - 7, 7, ".weight") != 0)
    return "";
  std::string what = linear.substr(dot + 1, linear.size() - 7 - dot - 1);
  for (const auto &[lin, input] : kInputs)
    if (what == lin)
      return linear.substr(0, dot + 1) + input;
  return "";
}

uint64_t modelFingerprint(const Model &m) {
  const ModelConfig &c = m.config;
  Fnv f;
  f.str(c.arch);
  for (int64_t v : {c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads,
                    c.headDim, c.vocabSize})
    f.i64(v);
  auto tensor = [&](const std::string &name) {
    const Tensor *t = m.find(name);
    if (!t)
      return;
    f.str(name);
    for (int64_t d : t->shape)
      f.i64(d);
    // A lazily imported tensor is decoded for this (and dropped), so the
    // compiler's lazy model and the reference's eager one agree.
    std::vector<float> decoded;
    if (t->data.empty() && t->decode)
      t->decode(decoded);
    const std::vector<float> &data = t->data.empty() ? decoded : t->data;
    size_t n = std::min<size_t>(64, data.size());
    f.bytes(data.data(), n * sizeof(float));
  };
  tensor("token_embd.weight");
  for (int64_t l = 0; l < c.nLayers; ++l)
    for (const char *what : linearNames())
      tensor(layerTensor(l, what));
  return f.h;
}

std::vector<CalibrationEntry> calibrationEntries(const Model &m) {
  const ModelConfig &c = m.config;
  std::vector<CalibrationEntry> out;
  for (int64_t l = 0; l < c.nLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    out.push_back({p + "attn_in", "attn_q", c.dim});
    out.push_back({p + "attn_output_in", "attn_output", c.nHeads * c.headDim});
    out.push_back({p + "ffn_in", "ffn_gate", c.dim});
    out.push_back({p + "ffn_down_in", "ffn_down", c.hiddenDim});
  }
  return out;
}

uint64_t triangleBytes(int64_t k) {
  return uint64_t(k) * uint64_t(k + 1) / 2 * sizeof(float);
}

Status writeCalibrationHeader(std::ofstream &os, const Model &m, int64_t tokens,
                              const std::vector<CalibrationEntry> &entries) {
  os.write(kMagic, sizeof kMagic);
  put(os, kVersion);
  put(os, uint32_t(0));
  put(os, modelFingerprint(m));
  for (int64_t v : {m.config.nLayers, m.config.dim, m.config.hiddenDim, tokens,
                    int64_t(entries.size())})
    put(os, uint64_t(v));
  uint64_t header = 8 + 4 + 4 + 8 + 5 * 8;
  for (const CalibrationEntry &e : entries)
    header += 4 + e.name.size() + 8 + 8;
  uint64_t offset = header;
  for (const CalibrationEntry &e : entries) {
    put(os, uint32_t(e.name.size()));
    os.write(e.name.data(), std::streamsize(e.name.size()));
    put(os, uint64_t(e.k));
    put(os, offset);
    offset += triangleBytes(e.k);
  }
  return os ? Status::success() : Status::error("cannot write the header");
}

Status writeCalibrationEntry(std::ofstream &os, const float *h, int64_t k,
                             float scale) {
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = i; j < k; ++j)
      row[size_t(j - i)] = h[i * k + j] * scale;
    os.write(reinterpret_cast<const char *>(row.data()),
             std::streamsize((k - i) * sizeof(float)));
  }
  return os ? Status::success() : Status::error("write failed (disk full?)");
}

Status CalibrationStats::open(const std::string &path, const Model &m,
                              CalibrationStats &out) {
  auto fail = [&](const std::string &why) {
    return Status::error(path + ": " + why);
  };
  std::ifstream is(path, std::ios::binary | std::ios::ate);
  if (!is)
    return fail("cannot open the calibration statistics");
  uint64_t size = uint64_t(is.tellg());
  is.seekg(0);
  char magic[8];
  uint32_t version, reserved;
  uint64_t fingerprint, layers, dim, hidden, tokens, count;
  if (!is.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    return fail("not a calibration statistics file (bad magic)");
  if (!get(is, version) || !get(is, reserved))
    return fail("truncated header");
  if (version != kVersion)
    return fail("calibration statistics version " + std::to_string(version) +
                ", this build reads version " + std::to_string(kVersion) +
                ": collect them again with --calibrate");
  if (!get(is, fingerprint) || !get(is, layers) || !get(is, dim) ||
      !get(is, hidden) || !get(is, tokens) || !get(is, count))
    return fail("truncated header");
  const ModelConfig &c = m.config;
  if (layers != uint64_t(c.nLayers) || dim != uint64_t(c.dim) ||
      hidden != uint64_t(c.hiddenDim))
    return fail("statistics of another model (" + std::to_string(layers) +
                " layers, dim " + std::to_string(dim) + ", hidden " +
                std::to_string(hidden) + "; this model has " +
                std::to_string(c.nLayers) + ", " + std::to_string(c.dim) +
                ", " + std::to_string(c.hiddenDim) + ")");
  if (fingerprint != modelFingerprint(m))
    return fail("statistics of another model: same shape, different weights "
                "(fingerprint mismatch); collect them again with --calibrate");
  if (count > 16 * layers + 16)
    return fail("implausible entry count " + std::to_string(count));
  CalibrationStats s;
  s.path_ = path;
  s.tokens_ = int64_t(tokens);
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t len;
    if (!get(is, len) || len > 256)
      return fail("truncated or corrupt entry table");
    std::string name(len, '\0');
    Entry e;
    uint64_t k;
    if (!is.read(name.data(), len) || !get(is, k) || !get(is, e.offset))
      return fail("truncated entry table");
    if (k == 0 || k > (1u << 20))
      return fail("entry " + name + " has an implausible K " + std::to_string(k));
    e.k = int64_t(k);
    if (e.offset > size || triangleBytes(e.k) > size - e.offset)
      return fail("entry " + name + " lies past the end of the file "
                  "(truncated?)");
    s.entries_[name] = e;
  }
  for (const CalibrationEntry &want : calibrationEntries(m)) {
    auto it = s.entries_.find(want.name);
    if (it == s.entries_.end())
      return fail("no statistics for " + want.name);
    if (it->second.k != want.k)
      return fail(want.name + " has K " + std::to_string(it->second.k) +
                  ", the model's input is " + std::to_string(want.k));
  }
  out = std::move(s);
  return Status::success();
}

Status CalibrationStats::load(const std::string &input,
                              std::vector<float> &h) const {
  auto it = entries_.find(input);
  if (it == entries_.end())
    return Status::error(path_ + ": no statistics for " + input);
  int64_t k = it->second.k;
  std::ifstream is(path_, std::ios::binary);
  is.seekg(std::streamoff(it->second.offset));
  h.assign(size_t(k * k), 0.0f);
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    if (!is.read(reinterpret_cast<char *>(row.data()),
                 std::streamsize((k - i) * sizeof(float))))
      return Status::error(path_ + ": cannot read " + input + " (truncated?)");
    for (int64_t j = i; j < k; ++j)
      h[size_t(i * k + j)] = h[size_t(j * k + i)] = row[size_t(j - i)];
  }
  return Status::success();
}

} // namespace itq3::model
