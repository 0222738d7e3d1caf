//===- Calibration.h - Input statistics of a model's linears ----*- C++ -*-===//
//
// Calibrated quantization (itq3/Format/Calibrated.h) needs, for every
// linear, the second moment H = E[x x^T] of its input over calibration
// tokens. Linears that read the same input share it, so a layer has four:
//
//   blk.<l>.attn_in        attn_q, attn_k, attn_v   (K = dim)
//   blk.<l>.attn_output_in attn_output              (K = heads * head_dim)
//   blk.<l>.ffn_in         ffn_gate, ffn_up         (K = dim)
//   blk.<l>.ffn_down_in    ffn_down                 (K = hidden)
//
// H is kept in the weight domain (unrotated): the rotated statistic of any
// sign seed is R H R^T, computed exactly at encode time, so one file serves
// every format.
//
// Collection runs the reference model one layer at a time over all
// calibration windows, keeping the hidden states of every token between
// layers: only one layer's statistics are in memory at once (Qwen2.5-1.5B:
// 0.35 GB rather than 10 GB), and each is written out when its layer is done.
//
// The file (version 1, little-endian):
//   magic "ITQ3CAL\0", u32 version, u32 0,
//   u64 model fingerprint, u64 layers, u64 dim, u64 hidden, u64 tokens,
//   u64 entries, then per entry: u32 name length, name, u64 K, u64 offset;
//   at each offset the upper triangle of H row by row (K (K + 1) / 2 f32).
// Loading checks the magic, the version, the fingerprint against the model
// it is used with, and that every entry lies inside the file.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_CALIBRATION_H
#define ITQ3_MODEL_CALIBRATION_H

#include "itq3/Model/Model.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace itq3::model {

/// The statistic a linear reads ("blk.3.attn_k.weight" -> "blk.3.attn_in");
/// empty for a name that is not a per-layer linear.
std::string calibrationInput(const std::string &linear);

/// A hash of the model's configuration and of the first values of its
/// embedding and of every linear: statistics are refused for another model
/// (or another checkpoint of the same architecture).
uint64_t modelFingerprint(const Model &m);

struct CalibrationSummary {
  int64_t tokens = 0, windows = 0;
  double seconds = 0;
  uint64_t bytes = 0; // of the file
};

/// Runs the reference forward pass of `m` over windows of `ctx` positions of
/// `tokens` (each window starts with bos when bos >= 0), collects every H and
/// writes the file `path`. progress(done, total) counts layer-windows.
Status collectCalibration(const Model &m, const std::vector<int32_t> &tokens,
                          int64_t ctx, int32_t bos, unsigned threads,
                          const std::string &path, CalibrationSummary &summary,
                          const std::function<void(int64_t, int64_t)> &progress = {});

/// A statistics file, opened and checked against a model; H is read one
/// input at a time.
class CalibrationStats {
public:
  static Status open(const std::string &path, const Model &m,
                     CalibrationStats &out);
  /// H of `input` (a name of calibrationInput), K x K, both triangles.
  Status load(const std::string &input, std::vector<float> &h) const;
  int64_t tokens() const { return tokens_; }
  const std::string &path() const { return path_; }

private:
  struct Entry {
    int64_t k = 0;
    uint64_t offset = 0;
  };
  std::string path_;
  int64_t tokens_ = 0;
  std::map<std::string, Entry> entries_;
};

} // namespace itq3::model

#endif // ITQ3_MODEL_CALIBRATION_H
