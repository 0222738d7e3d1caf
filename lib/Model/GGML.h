//===- GGML.h - Tensor storage types found in GGUF files --------*- C++ -*-===//
#ifndef ITQ3_LIB_MODEL_GGML_H
#define ITQ3_LIB_MODEL_GGML_H

#include <cstdint>
#include <string>

namespace itq3::model::ggml {

/// A storage type we can dequantize: `blockSize` weights take
/// `bytesPerBlock` bytes; dequantize() expands `blocks` whole blocks.
struct TypeInfo {
  const char *name; // lower case, as in our reports: "q4_k"
  int64_t blockSize;
  int64_t bytesPerBlock;
  void (*dequantize)(const uint8_t *src, float *dst, int64_t blocks);
};

/// The decoder for a GGML type id, or null when we do not support it.
const TypeInfo *typeInfo(uint32_t id);
/// A readable name for any type id, supported or not ("IQ2_XS", "type 99").
std::string typeName(uint32_t id);

float halfToFloat(uint16_t h);
float bf16ToFloat(uint16_t h);

} // namespace itq3::model::ggml

#endif // ITQ3_LIB_MODEL_GGML_H
