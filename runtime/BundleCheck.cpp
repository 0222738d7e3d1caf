//===- BundleCheck.cpp - References between the bundle's tables -----------===//
//
// Checks what no single table can: names are unique, every plan step calls
// a function of the bundle, and every tensor a function binds exists with
// exactly the byte size its memref type implies, for every layer the plan
// calls it with. The runtime can then bind arguments without checking.
//
//===----------------------------------------------------------------------===//
#include "BundleFormat.h"

#include <map>
#include <set>

namespace itq3::rt::layout {
namespace {

template <typename T, typename Key>
Status checkUnique(const std::vector<T> &items, Key key, const char *what) {
  std::set<std::string> seen;
  for (const T &item : items)
    if (!seen.insert(key(item)).second)
      return Status::error("corrupt bundle: two " + std::string(what) +
                           " named '" + key(item) + "'");
  return Status::success();
}

std::string substituteLayer(std::string name, uint32_t layer) {
  static const std::string token = "{layer}";
  for (size_t at = name.find(token); at != std::string::npos;
       at = name.find(token, at))
    name.replace(at, token.size(), std::to_string(layer));
  return name;
}

std::string describe(const ParamBinding &p) {
  std::string s = "[";
  for (size_t i = 0; i < p.sizes.size(); ++i)
    s += (i ? "x" : "") + std::to_string(p.sizes[i]);
  return s + "] of " + std::to_string(elementBytes(p.elementType)) +
         "-byte elements";
}

/// The bytes a static memref of `p` spans, or false on a dynamic size or
/// an overflow.
bool staticBytes(const ParamBinding &p, uint64_t &bytes) {
  bytes = uint64_t(elementBytes(p.elementType));
  for (int64_t d : p.sizes) {
    if (d < 0)
      return false;
    if (d != 0 && bytes > UINT64_MAX / uint64_t(d))
      return false;
    bytes *= uint64_t(d);
  }
  return true;
}

Status checkParams(const FunctionInfo &f) {
  for (const ParamBinding &p : f.params) {
    std::string what = "function '" + f.name + "' parameter '" + p.name + "'";
    uint64_t bytes;
    if (p.kind == ArgKind::Tensor && !staticBytes(p, bytes))
      return Status::error(what + ": a tensor binding needs static sizes, "
                                  "has " + describe(p));
    if (p.kind == ArgKind::Scalar && !p.sizes.empty())
      return Status::error(what + ": a scalar has no sizes");
  }
  return Status::success();
}

using TensorIndex = std::map<std::string, const TensorInfo *>;

Status checkBinding(const FunctionInfo &f, const ParamBinding &p,
                    uint32_t layer, const TensorIndex &tensors) {
  std::string name = substituteLayer(p.name, layer);
  auto it = tensors.find(name);
  if (it == tensors.end())
    return Status::error("function '" + f.name + "' binds tensor '" + name +
                         "', which the bundle does not have");
  uint64_t bytes = 0;
  (void)staticBytes(p, bytes); // checkParams made sure it is static
  if (it->second->size != bytes)
    return Status::error("function '" + f.name + "' binds tensor '" + name +
                         "' as " + describe(p) + " (" + std::to_string(bytes) +
                         " bytes), but the tensor has " +
                         std::to_string(it->second->size) + " bytes");
  return Status::success();
}

/// Binds every tensor parameter for layers 0 .. layers-1 ({layer} only
/// varies the name, so a name without it is checked once).
Status checkBindings(const FunctionInfo &f, uint32_t layers,
                     const TensorIndex &tensors) {
  for (const ParamBinding &p : f.params) {
    if (p.kind != ArgKind::Tensor)
      continue;
    bool perLayer = p.name.find("{layer}") != std::string::npos;
    for (uint32_t layer = 0; layer < (perLayer ? layers : 1); ++layer)
      if (Status s = checkBinding(f, p, layer, tensors); !s)
        return s;
  }
  return Status::success();
}

} // namespace

Status checkReferences(const Contents &c) {
  Status s = checkUnique(c.tensors, [](auto &t) { return t.name; }, "tensors");
  if (s)
    s = checkUnique(c.functions, [](auto &f) { return f.name; }, "functions");
  if (s)
    s = checkUnique(c.code, [](auto &o) { return o.target; },
                    "code objects for targets");
  if (!s)
    return s;

  std::map<std::string, const FunctionInfo *> functions;
  for (const FunctionInfo &f : c.functions) {
    if (Status p = checkParams(f); !p)
      return p;
    functions[f.name] = &f;
  }
  // The most layers any step calls each function with; a function no step
  // calls is still checked for layer 0.
  std::map<std::string, uint32_t> layers;
  for (size_t i = 0; i < c.plan.size(); ++i) {
    const PlanStep &step = c.plan[i];
    if (!functions.count(step.function))
      return Status::error("plan step " + std::to_string(i) +
                           " calls unknown function '" + step.function + "'");
    uint32_t &n = layers[step.function];
    n = std::max(n, step.repeat);
  }
  TensorIndex tensors;
  for (const TensorInfo &t : c.tensors)
    tensors[t.name] = &t;
  for (const FunctionInfo &f : c.functions) {
    auto it = layers.find(f.name);
    uint32_t n = it == layers.end() ? 1 : it->second;
    if (Status b = checkBindings(f, n, tensors); !b)
      return b;
  }
  return Status::success();
}

} // namespace itq3::rt::layout
