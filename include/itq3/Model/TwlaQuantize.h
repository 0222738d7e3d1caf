//===- TwlaQuantize.h - TWLA for a whole model (simulated) -------*- C++ -*-===//
//
// twla quantizes every per-layer linear to asymmetric ternary groups
// (format/Twla.h) in the domain of a Kronecker rotation R (KronRotation.h),
// with the (mu, alpha) re-solve under the calibration statistic R H R^T of
// its input. Linears that read one input (Q/K/V; gate/up) share one
// rotation, learned on their stacked rows: the run-time cost is one
// rotation per input, not per linear. In the model the weights are left
// decoded and rotated back, W^ = W'^ R, so the float forward pass computes
// W'^ (R x) = W^ x exactly (A16); with low-bit activations (A4 mixed) the
// forward pass feeds R^T deq(Q(R x)) (ActivationPlan.h).
//
// Bits per weight as stored: the groups' bytes (Twla.h) plus, for a learned
// rotation, its two factors in fp32 counted on the first linear of the
// group (a fixed rotation is regenerated from its seed: Hadamard or seeded
// random factors, nothing stored). A linear whose K the group size does not
// divide falls back to q8 (or f16), reported as such.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_TWLAQUANTIZE_H
#define ITQ3_MODEL_TWLAQUANTIZE_H

#include "itq3/Format/Kotms.h"
#include "itq3/Format/Twla.h"
#include "itq3/Model/ActivationPlan.h"
#include "itq3/Model/Calibration.h"
#include "itq3/Model/Quantize.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itq3::model {

enum class TwlaRotation {
  None,    // W itself is fitted
  Fixed,   // Hadamard / seeded random factors
  Learned, // KOTMS from the fixed one
  Best,    // per input, the lower weight-fit loss of fixed and learned (on
           // SmolLM2 the learned one everywhere: the same as Learned)
};

struct TwlaQuantization {
  format::TwlaParams params;
  format::KotmsOptions kotms;
  /// Learned by default: on SmolLM2-135M it beats the fixed rotation
  /// end to end (bench/results/twla.md), factors' bits included.
  TwlaRotation rotation = TwlaRotation::Learned;
  uint64_t seed = 1;
  /// 16: float activations (W1.58A16); 4: per-token 4/8-bit mixed (A4).
  int activationBits = 16;
  /// The mean activation bits allowed in A4 mode, weighted by K.
  double budget = 4.5;
  /// Calibration tokens the activation clip and bits search runs on, and
  /// token rows kept per quantizer.
  int64_t activationTokens = 512;
  int64_t activationSamples = 128;
};

/// Parses "twla" or "twla:KEY=VALUE,..." with keys rotation
/// (none|fixed|learned|best), act (16|4), budget, group, coupling
/// (full|block|none), feedback (on|off), steps (Cayley steps), seed,
/// tokens (activation calibration tokens), samples.
Status parseTwlaQuantization(const std::string &spec, TwlaQuantization &out);
bool isTwlaSpec(const std::string &spec);
std::string describeTwla(const TwlaQuantization &twla);

/// What was chosen for one input (blk.<l>.attn_in, ...).
struct TwlaInput {
  std::string name;
  std::vector<std::string> linears;
  std::shared_ptr<const format::KronRotation> rotation; // null: none
  std::string rotationKind;                          // none, fixed, learned
  double fixedLoss = 0, learnedLoss = 0;             // weight-fit loss, all rows
  int accepted = 0;                                  // Cayley steps kept
  int bits = 16;
  float clip = 1;
  double err4 = 0, err8 = 0; // relative output error of the activations
};

/// The linears' inputs in layer order, as quantized.
using TwlaInputs = std::vector<TwlaInput>;

/// Quantizes the model's linears in place (decoded, in the weight domain).
Status quantizeModelTwla(Model &m, const TwlaQuantization &twla,
                         const CalibrationStats &stats, unsigned threads,
                         QuantReport &report, TwlaInputs &inputs,
                         const std::function<void(int64_t, int64_t)> &progress = {});

/// A4: runs the quantized model with float activations over `tokens`
/// (windows of ctx, bos first when >= 0), keeps `activationSamples` input
/// rows per quantizer, searches each quantizer's clip ratio at 4 and 8 bits
/// (LowBitActivations.h) and gives 8 bits to the quantizers with the
/// largest error drop per K within the budget. Fills the inputs' bits,
/// clip and errors, and the plan of every linear.
Status planTwlaActivations(const Model &m, const TwlaQuantization &twla,
                           const std::vector<int32_t> &tokens, int64_t ctx,
                           int32_t bos, unsigned threads, TwlaInputs &inputs,
                           ActivationPlan &plan);

} // namespace itq3::model

#endif // ITQ3_MODEL_TWLAQUANTIZE_H
