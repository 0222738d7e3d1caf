//===- ActivationPlan.cpp - Which linears take int8 activations -----------===//

#include "itq3/Model/ActivationPlan.h"
#include "itq3/Model/Quantize.h"

namespace itq3::model {

using format::FormatKind;

Status activationPlanFor(const QuantReport &report,
                         const format::CodecOptions &options,
                         ActivationPlan &out) {
  out.clear();
  for (const TensorReport &t : report.linears) {
    std::optional<FormatKind> kind = format::parseFormatName(t.format);
    if (!kind)
      return Status::error(t.name + " is stored as '" + t.format +
                           "', not a weight format: activation quantization "
                           "follows a quantized model");
    // f16 weights take float activations in the compiled model too.
    if (*kind == FormatKind::F16)
      continue;
    ActivationQuant q;
    q.rotationBlock = format::createCodec(*kind, options)->rotationBlock();
    q.seed = q.rotationBlock ? options.signSeed : 0;
    out[t.name] = q;
  }
  return Status::success();
}

} // namespace itq3::model
