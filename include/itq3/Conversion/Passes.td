//===- Passes.td - itq3 conversion passes ------------------*- tablegen -*-===//
#ifndef ITQ3_CONVERSION_PASSES_TD
#define ITQ3_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertITQ3ToCPU : Pass<"convert-itq3-to-cpu"> {
  let summary = "Lower the itq3 ops left in staged tiles to CPU vector code";
  let description = [{
    `itq3.dot_i8` becomes two `vector.load`s of `length` int8 values,
    sign extension to i32, a multiply and a `vector.reduction <add>`, which
    LLVM turns into packed multiply-adds (pmaddwd/vpdpbusd-style) where the
    CPU has them; `itq3.mma` becomes loops over its 16x8 block with the
    same vector dot product per element (f16 widened to f32). Each tile body (`scf.forall`) with stage buffers saves
    the stack pointer on entry and restores it on exit
    (`llvm.intr.stacksave`/`stackrestore`), because tiles run as iterations
    of a loop here and their stages must return to the stack.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def ITQ3InlineAllocaScopes : Pass<"itq3-inline-alloca-scopes"> {
  let summary = "Replace memref.alloca_scope by its body between a stack save and restore";
  let description = [{
    `--convert-scf-to-openmp` wraps each parallel loop body in a
    `memref.alloca_scope`, whose region must stay one block; the loops
    inside it become several blocks when `--convert-scf-to-cf` lowers them.
    This pass runs before that: the body is inlined between
    `llvm.intr.stacksave` and `llvm.intr.stackrestore`, which is what the
    scope means for the allocas in it.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ConvertITQ3ToNVVM : Pass<"convert-itq3-to-nvvm"> {
  let summary = "Lower the itq3 ops left in GPU kernels to NVVM (dp4a, mma.sync)";
  let description = [{
    `itq3.dot_i8` becomes `length / 4` aligned 4-byte loads from each row
    and a chain of `nvvm.dot.accumulate.4way` (signed x signed), i.e.
    `dp4a`. `itq3.mma` becomes, per step of K, this lane's fragments of
    both operand blocks (register-sized vector loads at the coordinates of
    the mma.sync fragment layout, from `gpu.lane_id`) and `nvgpu.mma.sync`
    (m16n8k32 s8 into s32, or m16n8k16 f16 into f32), which
    `--convert-nvgpu-to-nvvm` turns into `nvvm.mma.sync`; the accumulator
    fragment is stored back. Workgroup buffers of outlined kernels
    (`gpu.func`) are aligned to 16 bytes so those loads from stages are
    aligned.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def ConvertITQ3ToGPU : Pass<"convert-itq3-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Map staged itq3 tiles onto GPU blocks and threads";
  let description = [{
    The tile loop (`scf.forall`, from `--itq3-tile`) becomes a `gpu.launch`
    with one block per tile and `block-size` threads. Inside, every
    `scf.parallel` phase (from `--itq3-stage-tiles`) is spread over the
    block's threads (thread t runs flattened iterations t, t + blockDim, ...)
    and followed by `gpu.barrier`, so the decode, each butterfly stage of the
    inverse FWHT and the product see complete results of the phase before.
    Stage buffers (`memref.alloca` in the tile) become workgroup (shared)
    memory attributions of the launch; constant tables stay globals.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
}

def ITQ3BindDeviceBuffers
    : Pass<"itq3-bind-device-buffers", "::mlir::ModuleOp"> {
  let summary = "Give the GPU kernels of host functions device buffers";
  let description = [{
    Runs after `--convert-itq3-to-gpu`, on functions that launch kernels.
    Kernels cannot read host memory, so:

    - a buffer made on the host (`memref.alloc`, e.g. the int8 activations
      between the quantizer and the matmul) becomes `gpu.alloc` and its
      `memref.dealloc` a `gpu.dealloc`;
    - a weight (`memref.get_global` of a global marked `itq3.weight`, which
      is how bufferization keeps packed constants) becomes a parameter of
      the function, appended after the others, with the attribute
      `itq3.weight = @global`: the runtime uploads each weight once and
      binds its device copy, instead of copying it on every call.

    Functions that are called from elsewhere in the module keep their
    signature; a weight read there is an error.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ITQ3TileParallelLoops
    : Pass<"itq3-tile-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Tile the host's parallel loops so their iterations become "
                "the threads of blocks";
  let description = [{
    Before `--gpu-map-parallel-loops`: each outermost `scf.parallel` outside
    a `gpu.launch` (the model ops' loops) is tiled by `threads` in its last
    dimension (at most 64 when that is the third, CUDA's limit in z; at
    most the trip count when it is a constant) and 1 in the others, with a
    bounds check in the tile (`scf.if`) instead of min bounds, so the inner
    loop of each tile maps to the threads of a block and the tiles to
    blocks. Without it every iteration is a block of one thread.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"128",
           "Iterations of the last dimension per tile">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def ITQ3NameKernels : Pass<"itq3-name-kernels", "::mlir::ModuleOp"> {
  let summary = "Name every outlined kernel after the model step it "
                "computes, else its gpu.module";
  let description = [{
    After `--gpu-kernel-outlining`, which names each kernel after the host
    function that launched it (every kernel of `layer` is `layer_kernel`,
    in modules `layer_kernel`, `layer_kernel_0`, ...): a kernel launched
    from an op whose location is named (`loc("attention"(...))`, as
    lib/Graph names the ops of each step of the forward pass) becomes
    `<host function>_<name>`, any other its module's name
    (`<module>_<kernel>` where a module holds several); a name taken
    already gets `_1`, `_2`, ...; the launches follow. Kernel names are then
    unique in the program and say what they compute, as profilers, the
    benchmark and the runtime's tests see them.
  }];
}

def ConvertITQ3ModelToSCF
    : Pass<"convert-itq3-model-to-scf", "::mlir::ModuleOp"> {
  let summary = "Lower the model-level itq3 ops to loops (the CPU mapping)";
  let description = [{
    `itq3.embed_into` (rows decoded by the block decoder of its format),
    `itq3.rms_norm_into`, `itq3.rope`, `itq3.attention_into`,
    `itq3.add_into` and `itq3.swiglu_into` become `scf.for` loops of scalar
    `arith`/`math` code that compute what the reference forward pass of
    lib/Model computes, in the same order where it matters for rounding:
    sums of squares and softmax denominators in f64, rotary angles in f64.
    Independent iterations (rows, heads, columns) are `scf.parallel`, so a
    GPU mapping can spread them over threads; the attention keeps a score
    row per (token, head) in a heap buffer of M * heads x (pos + M), freed
    after the op.

    With `vectorize` (the CPU pipeline) the attention's inner loops are
    vector code: the query-key dot products of four positions at a time,
    each summed in four lanes combined (0 + 1) + (2 + 3) as the reference's
    dot does, and the weighted sum of values into register accumulators,
    every column summed over positions in order. The results are those of
    the reference forward pass, bit for bit. With `threads` the (token,
    head) pairs are an `scf.forall`, for the CPU pipeline's OpenMP threads.

    With `split-positions=S` (the GPU mapping) the attention is split over
    parts of S x M positions (M the rows of the call), flash-decoding
    style: one parallel iteration per (token, head, part) keeps its part's
    max score, the f64 sum of exp(score - max) and the weighted sum of its
    values; a second parallel loop per (token, head, column) rescales the
    parts to their common max and divides by the rescaled sum. A decode
    step at position p then has heads x ceil((p + 1) / S) independent
    iterations instead of heads; a prompt of many rows keeps few parts.

    With `tiled-norms` (the GPU mapping) each row of an RMSNorm is an
    `scf.forall` tile: a phase of 256 workers summing strided columns' squares
    in f64 into a stage, a phase of one worker adding the stage into the
    scale, a phase over the columns; `--convert-itq3-to-gpu` makes the tile
    a block, the phases its threads between barriers, the stage shared
    memory.
    The sums run in another order than the reference's (within float
    rounding of it).
  }];
  let options = [
    Option<"vectorize", "vectorize", "bool", /*default=*/"false",
           "Vector code for the attention's dot products and weighted sums "
           "(false: the scalar loops of the GPU mapping)">,
    Option<"threads", "threads", "bool", /*default=*/"false",
           "The attention's (token, head) pairs as scf.forall iterations, "
           "which the CPU pipeline runs on its OpenMP threads (false: "
           "scf.parallel, which it runs in order)">,
    Option<"tiledNorms", "tiled-norms", "bool", /*default=*/"false",
           "RMSNorm as one tile per row whose sum of squares is split over "
           "256 workers in phases (the GPU mapping: a block per row) "
           "instead of one sequential loop per row">,
    Option<"splitPositions", "split-positions", "int64_t", /*default=*/"0",
           "Split the attention over parts of this many positions, "
           "combined by a second loop (0: one iteration per token and "
           "head)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def ITQ3EmulateGPU : Pass<"itq3-emulate-gpu", "::mlir::ModuleOp"> {
  let summary = "Run the GPU kernels on the CPU: blocks, threads, warps, "
                "workgroup memory, dp4a and mma.sync emulated from the IR";
  let description = [{
    Takes the IR as it is before translation to NVVM (`--itq3-to-gpu-kernels`:
    `gpu.launch_func` on the host, outlined `gpu.func` kernels) and turns
    every kernel into a CPU function with the same numerics, so the GPU
    mapping is executed without a GPU:

    - blocks are a loop nest over the grid; workgroup memory is one buffer
      per kernel, filled with a poison pattern (NaN, 0xA5 bytes) at the
      start of every block, so a read before the block wrote is visible;
    - the kernel body is split at `gpu.barrier` (loop fission): each
      barrier-delimited phase runs for every thread id in turn. Values
      that only depend on block ids, dimensions and parameters are
      computed once per block; values that vary per thread and live across
      a barrier are privatized into one slot per thread. Control flow that
      contains a barrier must be uniform over the block;
    - phases with warp-collective ops run per warp: `nvgpu.mma.sync`
      gathers the 32 lanes' fragment registers, multiplies from the
      operand layouts of the PTX ISA (m16n8k32 s8 into s32 with
      satfinite, m16n8k16 f16 into f32), and scatters the accumulator
      fragments back; control flow around it must be uniform over the warp;
    - `nvvm.dot.accumulate.4way` (dp4a) is its exact integer arithmetic.

    With `reverse-threads`, threads (and lanes) of every phase run in
    descending order: a missing barrier between a write and another
    thread's read gives different results in the two orders.

    Anything else from the gpu, nvvm or nvgpu dialects in a kernel, and
    host code the emulation does not model, is an error.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"reverseThreads", "reverse-threads", "bool", /*default=*/"false",
           "Run the threads of every phase in descending order">,
    Option<"exportKernels", "export-kernels", "bool", /*default=*/"false",
           "Keep each kernel's emulation public, marked `itq3.kernel = "
           "\"name\"`, for --itq3-export-kernel-launchers">,
  ];
}

def ITQ3ExportKernelLaunchers
    : Pass<"itq3-export-kernel-launchers", "::mlir::ModuleOp"> {
  let summary = "Give each emulated kernel the entry point a driver calls";
  let description = [{
    On the LLVM dialect, after `--itq3-emulate-gpu{export-kernels}` and the
    lowering to LLVM: for each function marked `itq3.kernel = "K"` (an
    emulated kernel, whose parameters are the kernel's, as the host's
    `mgpuLaunchKernel` passes them, then the grid and block sizes), emits

      void __itq3_launch_K(void **params, i64 gx, gy, gz, bx, by, bz)

    which loads each parameter from `params[i]` (the `kernelParams` array
    of `cuLaunchKernel`) and calls the emulation, and a string constant
    `__itq3_launch_K_signature` with one letter per parameter (`p` pointer,
    `i` i64, `w` i32, `f` f32, `d` f64). A stand-in CUDA driver runs a
    bundle's GPU host code on the CPU through these (test/Unit/Runtime).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // ITQ3_CONVERSION_PASSES_TD
