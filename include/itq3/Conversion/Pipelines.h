//===- Pipelines.h - itq3 lowering pipelines --------------------*- C++ -*-===//
#ifndef ITQ3_CONVERSION_PIPELINES_H
#define ITQ3_CONVERSION_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::itq3 {

/// The rotation= option of both pipelines: it only acts on tensor-level
/// matmuls, through --itq3-place-rotation.
inline constexpr const char kRotationOptionHelp[] =
    "Where tensor-level matmuls of rotated formats undo the rotation: "
    "activation (rotate and quantize x once, int8 products) or weight "
    "(inverse FWHT of staged weight tiles, f32 products); buffer-level ops "
    "keep theirs";

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<std::string> rotation{*this, "rotation",
                               llvm::cl::desc(kRotationOptionHelp),
                               llvm::cl::init("activation")};
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("Activation rows per tile"),
                        llvm::cl::init(8)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Weight rows per tile"),
                        llvm::cl::init(32)};
  Option<bool> mma{*this, "mma",
                   llvm::cl::desc("Products on 16x8 blocks (the tensor-core "
                                  "form, run as loops here) where tiles allow"),
                   llvm::cl::init(false)};
  Option<bool> openmp{
      *this, "openmp",
      llvm::cl::desc("Run the tiles of each product on OpenMP threads "
                     "(the code then calls libomp); otherwise in sequence"),
      llvm::cl::init(false)};
  Option<bool> vectorDecode{
      *this, "vector-decode",
      llvm::cl::desc("Decode weights 32 columns per step with vector ops "
                     "where the format allows (q8, q4, iq3, itq3_s, ptqtp, "
                     "twla), and the Kronecker rotation of activations and "
                     "TwinQuant's low-rank phase on vectors; false keeps the "
                     "scalar code of the GPU mapping"),
      llvm::cl::init(true)};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("LLVM features of the CPU the code is for (e.g. "
                     "+avx2,+fma, as cpuFeatures() gives them): with +avx2 "
                     "the int8 products use AVX2 intrinsics; empty: generic "
                     "vector code for any CPU"),
      llvm::cl::init("")};
};

/// Whether the LLVM feature list `features` ("+a,-b,...") enables
/// `feature` (e.g. "avx2"); the last mention counts.
bool enablesFeature(llvm::StringRef features, llvm::StringRef feature);

/// The int8 products the CPU mapping emits for a target with `features`:
/// vpdpbusd with AVX512-VNNI and VL (and AVX2), vpmaddubsw + vpmaddwd with
/// AVX2, generic vector code otherwise.
enum class Int8Products { Generic, Avx2, Vnni };
Int8Products int8ProductsFor(llvm::StringRef features);

struct PtxPipelineOptions : public PassPipelineOptions<PtxPipelineOptions> {
  Option<std::string> rotation{*this, "rotation",
                               llvm::cl::desc(kRotationOptionHelp),
                               llvm::cl::init("activation")};
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("Target GPU: sm_80, sm_86, sm_89, sm_90"),
                           llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX ISA version; ptxas 13 rejects versions below 8.0"),
      llvm::cl::init("+ptx80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Binary format: isa (PTX text, no toolkit needed) or "
                     "bin (cubin, needs ptxas)"),
      llvm::cl::init("isa")};
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("Activation rows per tile"),
                        llvm::cl::init(8)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Weight rows per tile (one block)"),
                        llvm::cl::init(32)};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block"),
                            llvm::cl::init(256)};
  Option<bool> mma{*this, "mma",
                   llvm::cl::desc("Products on mma.sync tensor cores where "
                                  "the tile's M is a multiple of 16"),
                   llvm::cl::init(true)};
  Option<int64_t> attentionSplit{
      *this, "attention-split",
      llvm::cl::desc("Positions per part of the attention, which is split "
                     "over parts and combined (flash-decoding), so a decode "
                     "token spreads over heads x parts threads; 0: one "
                     "thread per token and head"),
      llvm::cl::init(16)};
};

struct GpuEmulationPipelineOptions
    : public PassPipelineOptions<GpuEmulationPipelineOptions> {
  Option<bool> reverseThreads{
      *this, "reverse-threads",
      llvm::cl::desc("Run the threads of every phase in descending order"),
      llvm::cl::init(false)};
  Option<bool> exportKernels{
      *this, "export-kernels",
      llvm::cl::desc("Give each kernel's emulation a cuLaunchKernel-style "
                     "entry point (--itq3-export-kernel-launchers)"),
      llvm::cl::init(false)};
};

/// [tensor-level itq3.matmul -> rotation placed -> buffers ->]
/// itq3.matmul_into kernels -> tiles -> staged loops -> gpu.launch with
/// shared-memory stages and barriers, device buffers -> NVVM (dp4a,
/// mma.sync) -> gpu.binary. The two halves: up to outlined gpu.func kernels,
/// then NVVM and serialization.
void buildPtxPipeline(OpPassManager &pm, const PtxPipelineOptions &options);
void buildGpuKernelPipeline(OpPassManager &pm,
                            const PtxPipelineOptions &options);
void buildGpuBinaryPipeline(OpPassManager &pm,
                            const PtxPipelineOptions &options);

/// The output of buildGpuKernelPipeline executed on the CPU: the kernels
/// emulated by --itq3-emulate-gpu, then the host code to the LLVM dialect,
/// ready for the JIT. Threads run in descending order with
/// `reverseThreads`, for the race check. With `exportKernels`, each kernel's
/// emulation also gets a cuLaunchKernel-style entry point
/// (--itq3-export-kernel-launchers), for a stand-in CUDA driver.
void buildGpuEmulationPipeline(OpPassManager &pm, bool reverseThreads,
                               bool exportKernels = false);

/// [tensor-level itq3.matmul -> rotation placed -> buffers ->]
/// itq3.matmul_into kernels -> tiles -> staged loops -> LLVM dialect, ready
/// for translation to LLVM IR (JIT or object code).
void buildCpuLLVMPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Adds the external models (to-LLVM patterns, NVVM target, translations)
/// that the pipelines need to a tool's registry.
void registerLoweringInterfaces(DialectRegistry &registry);

/// Registers --itq3-to-cpu-llvm and --itq3-to-ptx.
void registerITQ3Pipelines();

} // namespace mlir::itq3

#endif // ITQ3_CONVERSION_PIPELINES_H
