//===- CpuObject.cpp - LLVM-dialect module -> ELF shared object -----------===//
#include "itq3/Conversion/CpuObject.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <memory>

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kCifacePrefix = "_mlir_ciface_";

/// `_itq3_packed_NAME(ptr args)` calling `_mlir_ciface_NAME(*args[0], ...)`.
void addPackedWrapper(llvm::Module &module, llvm::Function &target) {
  llvm::LLVMContext &ctx = module.getContext();
  std::string name = "_itq3_packed_" +
                     target.getName().drop_front(kCifacePrefix.size()).str();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr},
                                       /*isVarArg=*/false);
  auto *wrapper = llvm::Function::Create(
      type, llvm::GlobalValue::ExternalLinkage, name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
  llvm::Value *args = wrapper->getArg(0);
  llvm::SmallVector<llvm::Value *> values;
  for (auto [i, param] : llvm::enumerate(target.args())) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, args, i);
    llvm::Value *where = b.CreateLoad(ptr, slot);
    values.push_back(b.CreateLoad(param.getType(), where));
  }
  b.CreateCall(&target, values);
  b.CreateRetVoid();
}

void addPackedWrappers(llvm::Module &module) {
  llvm::SmallVector<llvm::Function *> targets;
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && f.getName().starts_with(kCifacePrefix))
      targets.push_back(&f);
  for (llvm::Function *f : targets)
    addPackedWrapper(module, *f);
}

std::unique_ptr<llvm::TargetMachine>
createMachine(const mlir::itq3::CpuObjectOptions &options, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu, features;
  mlir::itq3::resolveCpu(options, cpu, features);
  // Constructors (the GPU host code's module loads) go to .init_array,
  // which the dynamic loader runs; LLVM's default, .ctors, needs the C
  // runtime's crtbegin, which these objects are not linked with.
  llvm::TargetOptions targetOptions;
  targetOptions.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for " + triple.str() + " " + cpu;
  return machine;
}

/// The linker that matches our LLVM, else any ld.lld on the PATH.
std::string findLinker() {
  for (const char *candidate : {"/usr/lib/llvm-22/bin/ld.lld"})
    if (llvm::sys::fs::can_execute(candidate))
      return candidate;
  auto found = llvm::sys::findProgramByName("ld.lld");
  return found ? *found : std::string();
}

bool readFile(const std::string &path, std::vector<uint8_t> &out) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return false;
  llvm::StringRef bytes = (*buffer)->getBuffer();
  out.assign(bytes.begin(), bytes.end());
  return true;
}

/// The directory of LLVM's OpenMP runtime (libomp.so.5).
constexpr const char *kOpenMPDirectory = "/usr/lib/llvm-22/lib";

/// ld.lld -shared over the object bytes; the result in `out`.
bool link(llvm::ArrayRef<char> object, bool openmp, std::vector<uint8_t> &out,
          std::string &error) {
  std::string linker = findLinker();
  if (linker.empty()) {
    error = "no ld.lld found (install lld-22)";
    return false;
  }
  llvm::SmallString<128> objectPath, libraryPath, logPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("itq3-cpu", "o", fd, objectPath) ||
      llvm::sys::fs::createTemporaryFile("itq3-cpu", "so", libraryPath) ||
      llvm::sys::fs::createTemporaryFile("itq3-ld", "log", logPath)) {
    error = "cannot create temporary files for linking";
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  // libm provides the math the model code calls (expf, cos, pow); libc the
  // heap. Both resolve against the loading process at dlopen.
  llvm::SmallVector<llvm::StringRef> args = {
      linker, "-shared", "--hash-style=gnu", "-o", libraryPath, objectPath};
  std::string libraryDir = std::string("-L") + kOpenMPDirectory;
  if (openmp) {
    if (!llvm::sys::fs::exists(std::string(kOpenMPDirectory) + "/libomp.so.5")) {
      error = std::string("no libomp.so.5 in ") + kOpenMPDirectory +
              " (install libomp-22-dev)";
      return false;
    }
    args.append({libraryDir, "-lomp", "-rpath", kOpenMPDirectory});
  }
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath,
                                                logPath};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, redirects, 0,
                                     0, &message);
  bool ok = rc == 0 && readFile(std::string(libraryPath), out);
  if (!ok) {
    std::vector<uint8_t> log;
    readFile(std::string(logPath), log);
    error = "linking the CPU code failed (" + linker + "): " + message +
            std::string(log.begin(), log.end());
  }
  for (const auto &path : {objectPath, libraryPath, logPath})
    llvm::sys::fs::remove(path);
  return ok;
}

} // namespace

void mlir::itq3::resolveCpu(const CpuObjectOptions &options, std::string &cpu,
                      std::string &features) {
  cpu = options.cpu;
  features = options.features;
  if (cpu != "native")
    return;
  cpu = llvm::sys::getHostCPUName().str();
  std::string host;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    host += (host.empty() ? "" : ",") +
            std::string(feature.second ? "+" : "-") + feature.first().str();
  features = features.empty() ? host : host + "," + features;
}

std::string mlir::itq3::cpuFeatures(const std::string &cpu,
                                    const std::string &extra) {
  CpuObjectOptions options;
  options.cpu = cpu;
  options.features = extra;
  std::string name, features;
  resolveCpu(options, name, features);
  if (cpu == "native")
    return features;
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return features;
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, name, features));
  if (!info)
    return features;
  // The CPU's features, each as + or -, then the extra ones again so that
  // they win.
  std::string all;
  for (const llvm::SubtargetFeatureKV &kv : info->getAllProcessorFeatures()) {
    std::string key = kv.Key;
    all += (all.empty() ? "" : ",") +
           std::string(info->checkFeatures("+" + key) ? "+" : "-") + key;
  }
  return features.empty() ? all : all + "," + features;
}

bool mlir::itq3::emitSharedObject(ArrayRef<ModuleOp> modules,
                                  const CpuObjectOptions &options,
                                  std::vector<uint8_t> &object,
                                  std::string &error) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  registerGPUDialectTranslation(registry); // host code of GPU bundles
  for (ModuleOp module : modules)
    module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::TargetMachine> machine = createMachine(options, error);
  if (!machine)
    return false;
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule;
  for (ModuleOp module : modules) {
    std::unique_ptr<llvm::Module> translated =
        translateModuleToLLVMIR(module, context, "itq3-model");
    if (!translated) {
      error = "cannot translate the lowered module to LLVM IR";
      return false;
    }
    if (!llvmModule)
      llvmModule = std::move(translated);
    else if (llvm::Linker::linkModules(*llvmModule, std::move(translated))) {
      error = "cannot link the lowered modules (a symbol defined twice?)";
      return false;
    }
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  addPackedWrappers(*llvmModule);
  if (llvm::Error e =
          makeOptimizingTransformer(3, 0, machine.get())(llvmModule.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(e));
    return false;
  }
  llvm::SmallVector<char> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  codegen.run(*llvmModule);
  return link(bytes, options.openmp, object, error);
}
