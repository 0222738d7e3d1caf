//===- BundleLimits.cpp - What the encoding can hold ----------------------===//
//
// The writer's side of the decoder's limits: a name too long, a rank over
// kMaxRank or a repeat count of zero is refused when the bundle is written,
// with the field named, instead of when it is loaded.
//
//===----------------------------------------------------------------------===//
#include "BundleFormat.h"

namespace itq3::rt::layout {
namespace {

Status checkString(const std::string &s, uint64_t max, const std::string &what) {
  if (s.size() <= max)
    return Status::success();
  return Status::error(what + " is " + std::to_string(s.size()) +
                       " bytes, over the bundle's limit of " +
                       std::to_string(max));
}

Status checkDims(const std::vector<int64_t> &dims, int64_t min,
                 const std::string &what) {
  if (dims.size() > kMaxRank)
    return Status::error(what + " has rank " + std::to_string(dims.size()) +
                         ", over the bundle's limit of " +
                         std::to_string(kMaxRank));
  for (int64_t d : dims)
    if (d < min)
      return Status::error(what + " has the size " + std::to_string(d));
  return Status::success();
}

Status checkTensor(const TensorInfo &t) {
  std::string what = "tensor '" + t.name + "'";
  Status s = checkString(t.name, kMaxName, what + ": the name");
  for (const std::string *f : {&t.format, &t.rotation, &t.layout})
    if (s)
      s = checkString(*f, kMaxName, what + ": a field");
  return s ? checkDims(t.shape, 0, what + "'s shape") : s;
}

Status checkFunction(const FunctionInfo &f) {
  std::string what = "function '" + f.name + "'";
  Status s = checkString(f.name, kMaxName, what + ": the name");
  if (s)
    s = checkString(f.target, kMaxName, what + ": the target");
  if (s)
    s = checkString(f.entry, kMaxName, what + ": the entry");
  if (s && f.params.size() > kMaxParams)
    s = Status::error(what + " has " + std::to_string(f.params.size()) +
                      " parameters, over the limit of " +
                      std::to_string(kMaxParams));
  for (const ParamBinding &p : f.params) {
    std::string pw = what + " parameter '" + p.name + "'";
    if (s && (uint8_t(p.kind) > uint8_t(ArgKind::Scalar) ||
              uint8_t(p.elementType) > uint8_t(ElementType::I64)))
      s = Status::error(pw + " has an unknown kind or element type");
    if (s)
      s = checkString(p.name, kMaxName, pw + ": the name");
    if (s)
      s = checkDims(p.sizes, -1, pw);
  }
  return s;
}

Status checkMetaLimits(const BundleMeta &m) {
  for (const auto &[key, value] : m.config) {
    if (Status s = checkString(key, kMaxName, "config key '" + key + "'"); !s)
      return s;
    if (Status s = checkString(value, kMaxConfigValue,
                               "config value of '" + key + "'");
        !s)
      return s;
  }
  if (m.tokenizer.size() > kMaxTokenizer)
    return Status::error("the tokenizer is over the bundle's limit of 1 GiB");
  return checkMeta(m);
}

} // namespace

Status checkLimits(const Contents &c) {
  Status s = checkMetaLimits(c.meta);
  for (size_t i = 0; s && i < c.tensors.size(); ++i)
    s = checkTensor(c.tensors[i]);
  for (size_t i = 0; s && i < c.functions.size(); ++i)
    s = checkFunction(c.functions[i]);
  for (size_t i = 0; s && i < c.plan.size(); ++i) {
    const PlanStep &step = c.plan[i];
    s = checkString(step.function, kMaxName, "plan step " + std::to_string(i));
    if (s && (step.repeat < 1 || step.repeat > kMaxRepeat))
      s = Status::error("plan step " + std::to_string(i) + " repeats " +
                        std::to_string(step.repeat) + " times (1 to " +
                        std::to_string(kMaxRepeat) + " allowed)");
  }
  for (size_t i = 0; s && i < c.code.size(); ++i)
    for (const std::string *f : {&c.code[i].target, &c.code[i].kind,
                                 &c.code[i].arch})
      if (s)
        s = checkString(*f, kMaxName, "code object " + std::to_string(i));
  return s;
}

} // namespace itq3::rt::layout
