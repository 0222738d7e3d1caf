//===- BufferizableOpInterfaceImpl.h - itq3 in one-shot bufferize -*- C++ -*-===//
#ifndef ITQ3_DIALECT_ITQ3_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define ITQ3_DIALECT_ITQ3_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
namespace memref {
class GetGlobalOp;
} // namespace memref

namespace itq3 {

/// Attribute on the `memref.global` that holds a bufferized `itq3.constant`:
/// the packed bytes of a weight, as opposed to a constant table of the code.
constexpr const char *kWeightGlobalAttrName = "itq3.weight";

/// Whether `read` reads a weight global (one marked kWeightGlobalAttrName).
bool readsWeightGlobal(memref::GetGlobalOp read);

/// Lets `--one-shot-bufferize` turn the tensor-level itq3 ops into their
/// buffer forms: `!itq3.packed<NxK, F>` becomes `memref<N x rowBytes x i8>`,
/// `itq3.constant` a private constant `memref.global` (marked
/// `kWeightGlobalAttrName`), `itq3.matmul` and `itq3.quantize_act` new
/// buffers written by `itq3.matmul_into` and `itq3.quantize_act_into`.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);

} // namespace itq3
} // namespace mlir

#endif // ITQ3_DIALECT_ITQ3_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
