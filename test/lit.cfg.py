# -*- Python -*-
import os

import lit.formats

config.name = "itq3"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.itq3_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.itq3_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
config.substitutions.append(("%itq3_src_root", config.itq3_src_root))
config.substitutions.append(("%shared", config.itq3_shared_dir))
config.substitutions.append(
    ("%extract_ptx", "python3 " + os.path.join(config.itq3_src_root, "scripts", "extract-ptx"))
)

if config.itq3_enable_mlir:
    config.available_features.add("mlir")
if config.itq3_ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.itq3_ptxas))
    # gpu-module-to-binary format=bin finds ptxas on PATH, and libdevice
    # (for the math of the model kernels) under CUDA_HOME.
    config.environment["PATH"] = os.pathsep.join(
        [os.path.dirname(config.itq3_ptxas), config.environment["PATH"]]
    )
    config.environment["CUDA_HOME"] = os.path.dirname(
        os.path.dirname(config.itq3_ptxas))
if os.path.isfile(config.itq3_fake_cuda):
    config.available_features.add("fake-cuda")
    config.substitutions.append(("%fake_cuda", config.itq3_fake_cuda))
if os.path.isfile(os.path.join(config.itq3_shared_dir, "models", "stories260K.bin")):
    config.available_features.add("shared-models")
# test/Fuzz: only in a build configured with ITQ3_BUILD_FUZZERS=ON.
if config.itq3_bundle_fuzzer and os.path.isfile(config.itq3_bundle_fuzzer):
    config.available_features.add("bundle-fuzzer")
    config.substitutions.append(("%bundle_fuzzer", config.itq3_bundle_fuzzer))
    config.substitutions.append(("%bundle_seeds", config.itq3_bundle_seeds))
if config.itq3_model_fuzzer and os.path.isfile(config.itq3_model_fuzzer):
    config.available_features.add("model-fuzzer")
    config.substitutions.append(("%model_fuzzer", config.itq3_model_fuzzer))
    config.substitutions.append(("%model_seeds", config.itq3_model_seeds))
