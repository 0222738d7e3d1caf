//===- Quantize.h - Simulated quantization of a model's linears -*- C++ -*-===//
//
// Replaces every linear weight by decode(encode(W)) with a lib/Format codec,
// so the float forward pass measures exactly the error a format adds. Rows
// whose K is not a multiple of the codec's block fall back to the format's
// narrower variant (itq3_s -> itq3_s64), else to q8 (or to f16 when q8's
// block does not divide K either); every fallback is reported and its bits
// are counted.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_QUANTIZE_H
#define ITQ3_MODEL_QUANTIZE_H

#include "itq3/Format/Calibrated.h"
#include "itq3/Format/Codec.h"
#include "itq3/Format/TwinQuant.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Model.h"

#include <functional>
#include <string>
#include <vector>

namespace itq3::model {

struct TensorReport {
  std::string name;
  std::string format; // what was used: the requested format or a fallback
  int64_t weights = 0;
  double bits = 0;     // total stored bits
  bool fallback = false;
  double relError = 0; // ||W - Q(W)|| / ||W||
};

struct QuantReport {
  std::string format;
  std::vector<TensorReport> linears;
  double linearBits = 0, otherBits = 0;
  int64_t linearWeights = 0, otherWeights = 0;

  double linearBitsPerWeight() const;
  double modelBitsPerWeight() const;
  /// "blk.0.attn_q.weight (q8)" for each linear that fell back.
  std::vector<std::string> fallbacks() const;
};

/// Bits per weight of a tensor type as a source file stores it ("f32" 32,
/// "q4_1" 5, ...); 32 for an unknown type.
double storedBitsPerWeight(const std::string &sourceType);

/// Bit accounting of the model as imported (no quantization): linears at
/// their source bits; other tensors as in quantizeModel.
QuantReport referenceReport(const Model &m);

/// Calibrated encoding of every linear (fallbacks included) with the
/// statistic of its input.
struct CalibratedQuantization {
  const CalibrationStats *stats = nullptr;
  format::CalibratedOptions options;
};

/// Quantizes the linears in place. Tensors that are not linears (embedding,
/// norms, output head) keep their values and are counted at
/// min(16, source bits): they would ship as f16 unless stored smaller.
/// progress(done, total) is called after each tensor, in weights. With
/// `calibrated` (and its stats), every linear is encoded by
/// format::encodeRowsCalibrated; without, round-to-nearest.
Status quantizeModel(
    Model &m, format::FormatKind kind, const format::CodecOptions &options,
    unsigned threads, QuantReport &report,
    const std::function<void(int64_t, int64_t)> &progress = {},
    const CalibratedQuantization *calibrated = nullptr);

/// twinquant for a whole model (format/TwinQuant.h): the parameters of
/// every linear, with its rank either fixed or the largest whose factors
/// fit `budget` bits per weight over the residual's 4.5.
struct TwinQuantization {
  format::TwinQuantParams params; // params.rank is set per linear
  int64_t rank = 0;                // 0: from the budget
  double budget = 0.5;
  /// Weight the SVD by sqrt(diag H) when calibration statistics are given
  /// (measured on Qwen2.5-1.5B and SmolLM2: it mostly raises the output
  /// error, bench/results/twinquant.md, so it is off unless asked for).
  bool importance = false;
  /// The rotated residual wherever K is a multiple of 256, q4 elsewhere.
  bool rotateWhereFits = true;
  /// Code the residual with the calibrated encoder against H of the
  /// calibration statistics (key cal=on; needs them).
  bool calibrated = false;
  TwinQuantization() { params.factorBits = 4; }
};

/// Whether `spec` is the format `name`, alone or as "name:...".
bool isSpecOf(const std::string &spec, const std::string &name);
/// For a spec "name" or "name:KEY=VALUE,...", apply(key, value) for each
/// option in order; returns the first failure ("name: option 'x' is not
/// KEY=VALUE" for an item without '=').
Status forEachSpecOption(
    const std::string &spec, const std::string &name,
    const std::function<Status(const std::string &, const std::string &)> &apply);
/// `value` as an on/off flag of option `key` of format `name`.
Status parseOnOff(const std::string &name, const std::string &key,
                  const std::string &value, bool &flag);

/// Parses "twinquant" or "twinquant:KEY=VALUE,..." with keys rank (a
/// number), budget (bits per weight, used without a rank), factor (8 or
/// 4, default 4), residual (q4, q4r or auto, the default: q4r where K is a
/// multiple of 256), seed (of q4r's signs), transform (none, hadamard or
/// learned), iters (power iterations of the SVD), balance (on or off),
/// importance (on or off), cal (on or off).
Status parseTwinQuantization(const std::string &spec, TwinQuantization &out);
/// The parameters of one N x K linear: its rank (fixed, capped at
/// min(N, K), or from the budget; 0 when not even rank 1 fits) and, with
/// residual=auto, the rotated residual when K is a multiple of 256.
format::TwinQuantParams twinParamsFor(const TwinQuantization &twin,
                                      int64_t rows, int64_t cols);
/// Whether `spec` names twinquant (with or without options).
bool isTwinQuantSpec(const std::string &spec);

/// quantizeModel for twinquant: each linear encoded and decoded back in
/// place; a linear the format cannot hold (N or K not a multiple of 32, K
/// of 256 for q4r, or a budget too small for rank 1) falls back to q8 (or
/// f16), reported as such. With stats, importance on weights the SVD of
/// each linear by its input's sqrt(diag H), and cal on codes its residual
/// against that H (cal on without stats is an error).
Status quantizeModelTwin(
    Model &m, const TwinQuantization &twin, unsigned threads,
    QuantReport &report,
    const std::function<void(int64_t, int64_t)> &progress = {},
    const CalibrationStats *stats = nullptr);

/// Counts every tensor that is not a per-layer linear into `report` as
/// quantizeModel does (min(16, source bits)): for whole-model formats
/// written elsewhere (twla).
void countNonLinearTensors(const Model &m, QuantReport &report);

/// The format a linear of K = cols is stored in when `requested` is asked
/// for: the requested one if its block divides cols, else q8, else f16.
format::FormatKind fittingFormat(format::FormatKind requested, int64_t cols);

/// Where a compiled bundle keeps the token embedding and the output head:
/// each in its format, or fallback (the requested format if its block
/// divides the model width, else q8, else f16; the lookup table is never
/// rotated, so a rotated embedding format becomes q8). A tied head is
/// stored once, as the embedding, when both end up in the same format.
struct OutputStorage {
  format::FormatKind embedding, head;
  bool shared; // one tensor (token_embd.weight) for both
};
OutputStorage outputStorage(const Model &m, format::FormatKind embedding,
                            format::FormatKind head);

/// Simulates that storage: the embedding and the head round-tripped
/// through their formats, in place (a tied head stored on its own becomes
/// output.weight). Counted in `report` as other (non-linear) bits.
Status quantizeEmbeddingAndHead(Model &m, const OutputStorage &storage,
                                const format::CodecOptions &options,
                                unsigned threads, QuantReport &report);

} // namespace itq3::model

#endif // ITQ3_MODEL_QUANTIZE_H
