//===- TensorPipelineTest.cpp - a model matmul compiled end to end --------===//
//
// Each case compiles a tensor-level function, a float weight constant
// quantized by itq3.quantize and multiplied by itq3.matmul, through the whole
// CPU pipeline (rotation placed, weight folded to packed bytes, bufferized,
// tiled, lowered) and calls it. The weight's packed bytes are made by the
// compiler alone; the reference decodes lib/Format's encoding of the same
// floats, and applies the activation placement's int8 quantization itself.
//
//===----------------------------------------------------------------------===//
#include "MatmulReference.h"

#include "itq3/Conversion/CpuFunction.h"
#include "itq3/Conversion/CpuObject.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstdio>
#include <sstream>

using namespace mlir::itq3;
using namespace itq3::testing;

namespace {

struct TensorCase {
  fmt::FormatKind format;
  uint64_t seed;
  const char *rotation; // the pipeline's rotation= option
  int64_t n, k;
};

std::string describe(const TensorCase &c) {
  return std::string(fmt::formatName(c.format)) + "_seed" +
         std::to_string(c.seed) + "_" + c.rotation + "_n" +
         std::to_string(c.n) + "_k" + std::to_string(c.k);
}

void PrintTo(const TensorCase &c, std::ostream *os) { *os << describe(c); }

/// The floats as a hex dense literal: exact, and short to parse.
std::string hexLiteral(const std::vector<float> &values) {
  std::string hex = "\"0x";
  const auto *bytes = reinterpret_cast<const uint8_t *>(values.data());
  char digits[3];
  for (size_t i = 0; i < values.size() * sizeof(float); ++i) {
    std::snprintf(digits, sizeof digits, "%02X", bytes[i]);
    hex += digits;
  }
  return hex + "\"";
}

/// func @layer(x: [?, K]) -> [?, N] = x * quantize(W)^T.
std::string layerSource(const TensorCase &c, const std::vector<float> &w) {
  bool rotated = fmt::createCodec(c.format)->isRotated();
  std::string k = std::to_string(c.k), n = std::to_string(c.n);
  std::string packed = "!itq3.packed<" + n + "x" + k + ", " +
                       std::string(fmt::formatName(c.format)) +
                       (c.seed ? ", seed = " + std::to_string(c.seed) : "") +
                       ">";
  std::string wType = "tensor<" + n + "x" + k + "xf32>";
  std::ostringstream os;
  os << "func.func @layer(%x: tensor<?x" << k << "xf32>) -> tensor<?x" << n
     << "xf32> attributes {llvm.emit_c_interface} {\n"
     << "  %w = arith.constant dense<" << hexLiteral(w) << "> : " << wType
     << "\n  %q = itq3.quantize %w : " << wType << " -> " << packed << "\n"
     << "  %y = itq3.matmul %x, %q rotation<" << (rotated ? "weight" : "none")
     << "> : tensor<?x" << k << "xf32>, " << packed << " -> tensor<?x" << n
     << "xf32>\n  return %y : tensor<?x" << n << "xf32>\n}\n";
  return os.str();
}

template <typename T>
StridedMemRefType<T, 2> matrix(T *data, int64_t rows, int64_t cols) {
  return {data, data, 0, {rows, cols}, {cols, 1}};
}

class TensorPipelineTest : public ::testing::TestWithParam<TensorCase> {};

TEST_P(TensorPipelineTest, MatchesReference) {
  const TensorCase &c = GetParam();
  auto codec = fmt::createCodec(c.format, fmt::CodecOptions{c.seed});
  // The compiler quantizes the same Gaussian floats that lib/Format packs
  // here for the reference.
  std::vector<uint8_t> packed;
  std::vector<float> decoded;
  ASSERT_NO_FATAL_FAILURE(encodeTestWeights(*codec, c.n, c.k, packed, decoded));

  CpuPipelineOptions options;
  options.rotation = std::string(c.rotation);
  // The JIT compiles for this host: its features (AVX2 products where it
  // has them), as the model compiler's "native" does.
  options.targetFeatures = cpuFeatures("native");
  std::string error;
  auto layer =
      CpuFunction::compile(layerSource(c, testWeights(c.n, c.k)), "layer",
                           options, error);
  ASSERT_TRUE(layer) << error;
  using Fn = void (*)(StridedMemRefType<float, 2> *,
                      StridedMemRefType<float, 2> *);
  auto call = reinterpret_cast<Fn>(layer->entry());

  bool activationPlacement = std::string(c.rotation) == "activation";
  // The activation placement multiplies in the rotated domain.
  std::vector<float> stored =
      activationPlacement && codec->isRotated()
          ? rotatedRows(decoded, c.k, c.seed)
          : decoded;
  for (int64_t m : {1, 3, 17}) {
    SCOPED_TRACE("M = " + std::to_string(m));
    std::vector<float> x = gaussian(m * c.k, 100 + m);
    std::vector<float> y(m * c.n, NAN);
    auto xs = matrix(x.data(), m, c.k);
    auto ys = matrix(y.data(), m, c.n);
    call(&xs, &ys);
    std::vector<float> exact = referenceProduct(x, decoded, m, c.n, c.k);
    if (!activationPlacement) {
      EXPECT_LT(relativeError(y, exact), 1e-5);
      continue;
    }
    // The compiled function rotated (for rotated formats) and quantized x
    // itself: the host reference of the same arithmetic must agree.
    Int8Activations a = int8Activations(
        codec->isRotated() ? rotatedRows(x, c.k, c.seed) : x);
    EXPECT_LT(relativeError(y, referenceProduct(a.dequantized, stored, m, c.n,
                                                c.k)),
              1e-5);
    EXPECT_LT(relativeError(y, exact), 2e-2);
  }
}

using F = fmt::FormatKind;
std::vector<TensorCase> allCases() {
  std::vector<TensorCase> cases;
  for (const char *rotation : {"activation", "weight"}) {
    cases.push_back({F::ITQ3S, 0, rotation, 96, 512});
    cases.push_back({F::ITQ3S, 7, rotation, 64, 256});
    cases.push_back({F::IQ3, 0, rotation, 40, 256});
    cases.push_back({F::Q4, 0, rotation, 72, 128});
    cases.push_back({F::Q8, 0, rotation, 33, 64});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, TensorPipelineTest, ::testing::ValuesIn(allCases()),
    [](const ::testing::TestParamInfo<TensorCase> &info) {
      return describe(info.param);
    });

} // namespace
