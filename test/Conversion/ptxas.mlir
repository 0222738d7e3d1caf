// REQUIRES: ptxas
// ptxas (CUDA toolkit) assembles the PTX of both placements, with dp4a
// and with mma.sync, and of the other weight formats for every supported
// chip.
//
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_80" -o %t.80.mlir
// RUN: %extract_ptx %t.80.mlir %t.80
// RUN: %ptxas -arch=sm_80 %t.80-0.ptx -o /dev/null
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_86" -o %t.86.mlir
// RUN: %extract_ptx %t.86.mlir %t.86
// RUN: %ptxas -arch=sm_86 %t.86-0.ptx -o /dev/null
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_89" -o %t.89.mlir
// RUN: %extract_ptx %t.89.mlir %t.89
// RUN: %ptxas -arch=sm_89 %t.89-0.ptx -o /dev/null
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_90" -o %t.90.mlir
// RUN: %extract_ptx %t.90.mlir %t.90
// RUN: %ptxas -arch=sm_90 %t.90-0.ptx -o /dev/null
// The kernels compiled from a tensor-level model matmul, both placements.
// RUN: itq3-opt %S/pipelines-from-tensors.mlir --itq3-quantize-weights="seed=3" --itq3-to-ptx="chip=sm_90 rotation=activation" -o %t.tensor-act.mlir
// RUN: %extract_ptx %t.tensor-act.mlir %t.tensor-act
// RUN: %ptxas -arch=sm_90 %t.tensor-act-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.tensor-act-1.ptx -o /dev/null
// RUN: itq3-opt %S/pipelines-from-tensors.mlir --itq3-quantize-weights="seed=3" --itq3-to-ptx="chip=sm_90 rotation=weight" -o %t.tensor-wgt.mlir
// RUN: %extract_ptx %t.tensor-wgt.mlir %t.tensor-wgt
// RUN: %ptxas -arch=sm_90 %t.tensor-wgt-0.ptx -o /dev/null
// The tensor-core kernels (prefill tiles: m16n8k16 f16, m16n8k32 s8).
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_80 tile-m=16 tile-n=16" -o %t.mma80.mlir
// RUN: %extract_ptx %t.mma80.mlir %t.mma80
// RUN: %ptxas -arch=sm_80 %t.mma80-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.mma80-1.ptx -o /dev/null
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_86 tile-m=16 tile-n=16" -o %t.mma86.mlir
// RUN: %extract_ptx %t.mma86.mlir %t.mma86
// RUN: %ptxas -arch=sm_86 %t.mma86-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_86 %t.mma86-1.ptx -o /dev/null
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_89 tile-m=16 tile-n=16" -o %t.mma89.mlir
// RUN: %extract_ptx %t.mma89.mlir %t.mma89
// RUN: %ptxas -arch=sm_89 %t.mma89-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_89 %t.mma89-1.ptx -o /dev/null
// RUN: itq3-opt %S/itq3-to-ptx.mlir --itq3-to-ptx="chip=sm_90 tile-m=16 tile-n=16" -o %t.mma90.mlir
// RUN: %extract_ptx %t.mma90.mlir %t.mma90
// RUN: %ptxas -arch=sm_90 %t.mma90-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.mma90-1.ptx -o /dev/null
// With ptxas the pipeline also gives cubins (format=bin).
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90 format=bin" | FileCheck %s --check-prefix=CUBIN
// CUBIN: gpu.binary @q4_kernel [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80" -o %t.formats.mlir
// RUN: %extract_ptx %t.formats.mlir %t.formats
// RUN: %ptxas -arch=sm_80 %t.formats-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-1.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-2.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-3.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-4.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-5.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-6.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-7.ptx -o /dev/null
// itq3_s64 (FWHT-64 in the stage, 29-byte blocks) on the newer chips too.
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_90" -o %t.formats90.mlir
// RUN: %extract_ptx %t.formats90.mlir %t.formats90
// RUN: %ptxas -arch=sm_90 %t.formats90-5.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.formats90-6.ptx -o /dev/null
// RUN: %ptxas -arch=sm_90 %t.formats90-7.ptx -o /dev/null
// RUN: itq3-opt %s --itq3-to-ptx="chip=sm_80 tile-m=16 tile-n=16" -o %t.formats-mma.mlir
// RUN: %extract_ptx %t.formats-mma.mlir %t.formats-mma
// RUN: %ptxas -arch=sm_80 %t.formats-mma-0.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-mma-1.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-mma-2.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-mma-3.ptx -o /dev/null
// RUN: %ptxas -arch=sm_80 %t.formats-mma-4.ptx -o /dev/null
// RUN: grep -l mma.sync.aligned %t.formats-mma-0.ptx %t.formats-mma-1.ptx %t.formats-mma-2.ptx %t.formats-mma-3.ptx | count 4

func.func @q4(%x: memref<?x256xi8>, %s: memref<?x8xf32>, %w: memref<100x144xi8>, %y: memref<?x100xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<q4> rotation<none>
    : memref<?x256xi8>, memref<100x144xi8>, memref<?x100xf32>, memref<?x8xf32>
  return
}

func.func @q8(%x: memref<?x256xf32>, %w: memref<64x272xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y format<q8> rotation<none>
    : memref<?x256xf32>, memref<64x272xi8>, memref<?x64xf32>
  return
}

func.func @iq3(%x: memref<?x256xi8>, %s: memref<?x8xf32>, %w: memref<64x110xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<iq3> rotation<none>
    : memref<?x256xi8>, memref<64x110xi8>, memref<?x64xf32>, memref<?x8xf32>
  return
}

func.func @q3r(%x: memref<?x256xf32>, %w: memref<64x112xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y format<q3r, seed = 9> rotation<weight>
    : memref<?x256xf32>, memref<64x112xi8>, memref<?x64xf32>
  return
}

func.func @quantize_activations(%x: memref<?x4096xf32>, %q: memref<?x4096xi8>, %s: memref<?x128xf32>) {
  itq3.quantize_act_into %x into %q, %s rotate signs(5) : memref<?x4096xf32>, memref<?x4096xi8>, memref<?x128xf32>
  return
}

func.func @itq3_s64_weight(%x: memref<?x576xf32>, %w: memref<64x261xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y format<itq3_s64, seed = 9> rotation<weight>
    : memref<?x576xf32>, memref<64x261xi8>, memref<?x64xf32>
  return
}

func.func @itq3_s64_activation(%x: memref<?x576xi8>, %s: memref<?x18xf32>, %w: memref<64x261xi8>, %y: memref<?x64xf32>) {
  itq3.matmul_into %x, %w into %y scales %s format<itq3_s64, seed = 9> rotation<activation>
    : memref<?x576xi8>, memref<64x261xi8>, memref<?x64xf32>, memref<?x18xf32>
  return
}

func.func @quantize_activations64(%x: memref<?x576xf32>, %q: memref<?x576xi8>, %s: memref<?x18xf32>) {
  itq3.quantize_act_into %x into %q, %s rotate block(64) signs(9) : memref<?x576xf32>, memref<?x576xi8>, memref<?x18xf32>
  return
}
