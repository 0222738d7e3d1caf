//===- KernelLaunchers.cpp - cuLaunchKernel's entry into emulated kernels -===//
//
// cuLaunchKernel passes a kernel its parameters as an array of pointers,
// one per parameter of the kernel's lowered signature (memref descriptors
// expanded field by field). The emulation of a kernel (--itq3-emulate-gpu)
// takes the same parameters, then the grid and block sizes; this pass
// gives each a launcher that unpacks the array, and names the parameters'
// types so that a caller can check what it passes.
//
//===----------------------------------------------------------------------===//
#include "itq3/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::itq3 {
#define GEN_PASS_DEF_ITQ3EXPORTKERNELLAUNCHERS
#include "itq3/Conversion/Passes.h.inc"
} // namespace mlir::itq3

using namespace mlir;

namespace {

constexpr unsigned kLaunchDims = 6; // grid x, y, z, block x, y, z

/// One letter per parameter type, or failure for a type a launch cannot
/// pass.
FailureOr<std::string> signature(LLVM::LLVMFuncOp func,
                                 ArrayRef<Type> params) {
  std::string letters;
  for (Type t : params) {
    if (isa<LLVM::LLVMPointerType>(t))
      letters += 'p';
    else if (t.isInteger(64))
      letters += 'i';
    else if (t.isInteger(32))
      letters += 'w';
    else if (t.isF32())
      letters += 'f';
    else if (t.isF64())
      letters += 'd';
    else
      return func.emitError("a kernel launcher cannot pass a parameter of ")
             << t;
  }
  return letters;
}

LogicalResult emitLauncher(OpBuilder &b, LLVM::LLVMFuncOp emulated,
                           StringRef kernel) {
  Location loc = emulated.getLoc();
  ArrayRef<Type> inputs = emulated.getFunctionType().getParams();
  if (inputs.size() < kLaunchDims ||
      !llvm::all_of(inputs.take_back(kLaunchDims),
                    [](Type t) { return t.isInteger(64); }))
    return emulated.emitError("an emulated kernel ends with its six i64 "
                              "launch sizes");
  ArrayRef<Type> params = inputs.drop_back(kLaunchDims);
  FailureOr<std::string> letters = signature(emulated, params);
  if (failed(letters))
    return failure();

  std::string name = ("__itq3_launch_" + kernel).str();
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  SmallVector<Type> launcherInputs = {ptr};
  launcherInputs.append(kLaunchDims, b.getI64Type());
  auto launcher = LLVM::LLVMFuncOp::create(
      b, loc, name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()),
                                  launcherInputs));
  Block *entry = launcher.addEntryBlock(b);
  OpBuilder body = OpBuilder::atBlockBegin(entry);
  SmallVector<Value> args;
  for (auto [i, type] : llvm::enumerate(params)) {
    Value slot = LLVM::GEPOp::create(body, loc, ptr, ptr, entry->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    Value address = LLVM::LoadOp::create(body, loc, ptr, slot);
    args.push_back(LLVM::LoadOp::create(body, loc, type, address));
  }
  for (unsigned d = 0; d < kLaunchDims; ++d)
    args.push_back(entry->getArgument(1 + d));
  LLVM::CallOp::create(body, loc, emulated, args);
  LLVM::ReturnOp::create(body, loc, ValueRange{});

  std::string text = *letters;
  text.push_back('\0');
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
  LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                         LLVM::Linkage::External, name + "_signature",
                         b.getStringAttr(text));
  return success();
}

struct ITQ3ExportKernelLaunchersPass
    : public mlir::itq3::impl::ITQ3ExportKernelLaunchersBase<
          ITQ3ExportKernelLaunchersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    for (auto func : llvm::to_vector(module.getOps<LLVM::LLVMFuncOp>())) {
      auto kernel = func->getAttrOfType<StringAttr>("itq3.kernel");
      if (kernel && failed(emitLauncher(b, func, kernel.getValue())))
        return signalPassFailure();
    }
  }
};

} // namespace
