//===- ActivationPlan.h - Which linears take int8 activations ---*- C++ -*-===//
//
// The compiled model's activation placement feeds every linear stored in an
// int8-path format (all but f16) with int8 activations, rotated first when
// the format stores rotated weights. An ActivationPlan records that per
// linear so the reference forward pass can reproduce it.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_ACTIVATIONPLAN_H
#define ITQ3_MODEL_ACTIVATIONPLAN_H

#include "itq3/Format/Codec.h"
#include "itq3/Format/KronRotation.h"
#include "itq3/Format/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace itq3::model {

struct QuantReport;

/// How one linear's input is quantized: int8 per 32 (rotated per 256-block
/// for the rotated formats), or, with `kron`, TWLA's per-token asymmetric
/// `bits`-bit code of R x for the linear's Kronecker rotation R
/// (format/LowBitActivations.h).
struct ActivationQuant {
  int64_t rotationBlock = 0; // > 0: quantize H D x per block of that size
                             // (rotated formats: their rotationBlock())
  uint64_t seed = 0;   // the sign seed of that rotation
  std::shared_ptr<const format::KronRotation> kron;
  int bits = 8;      // with kron: 4 or 8
  float clip = 1.0f; // with kron: the clip ratio of the range
  bool operator==(const ActivationQuant &o) const {
    return rotationBlock == o.rotationBlock && seed == o.seed && kron == o.kron &&
           bits == o.bits && clip == o.clip;
  }
};

/// Linear tensor name -> how its input is quantized. A linear that is absent
/// takes float input (f16 weights, or no activation quantization at all).
using ActivationPlan = std::map<std::string, ActivationQuant>;

/// The plan the compiled model follows for linears quantized as `report`
/// says (each linear's TensorReport::format, fallbacks included), with the
/// codec options quantizeModel was given. Fails for a report whose formats
/// are not weight formats (a referenceReport).
format::Status activationPlanFor(const QuantReport &report,
                                 const format::CodecOptions &options,
                                 ActivationPlan &out);

} // namespace itq3::model

#endif // ITQ3_MODEL_ACTIVATIONPLAN_H
