//===- Quantize.h - Simulated quantization of a model's linears -*- C++ -*-===//
//
// Replaces every linear weight by decode(encode(W)) with a lib/Format codec,
// so the float forward pass measures exactly the error a format adds. Rows
// whose K is not a multiple of the codec's block fall back to q8 (or to f16
// when q8's block does not divide K either); every fallback is reported and
// its bits are counted.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_QUANTIZE_H
#define ITQ3_MODEL_QUANTIZE_H

#include "itq3/Format/Calibrated.h"
#include "itq3/Format/Codec.h"
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
