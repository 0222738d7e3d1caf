//===- TwinQuant.h - Low-rank plus 4-bit residual weights -------*- C++ -*-===//
//
// twinquant stores W [N x K] as W ~= U V + R: U [N x r] and V [r x K] the
// quantized factors of a truncated SVD of W (of W diag(d) with d the
// per-column importance, when calibration statistics exist), and R the
// residual W - U^ V^ of the DECODED factors, so the 4-bit residual also
// absorbs the factors' quantization error. Unlike the block codecs of
// Codec.h the format is a whole-matrix one, parameterized by its rank.
//
// Stored bytes, in this order (every scale inside its block):
//   residual   N rows of K/32 q4 blocks (18 bytes per 32 weights); with the
//              rotated residual each 256-block of a row holds the q4 code
//              of H D r (FWHT.h; the kernel multiplies it with H D x)
//   U^T        r rows of N/32 blocks: column j of U, in q8 (34 bytes per
//              32) or q4 (18 bytes per 32)
//   V          r rows of K/32 blocks, in the same factor format
// So bits per weight = 8 (18 N K/32 + (N + K) r B/32) / (N K) with B the
// factor block's bytes: every code and every fp16 scale is counted; there
// is no header (rank, factor bits, rotation and seed are the format's
// parameters, like the attribute `#itq3.format<twinquant, ...>` would carry).
//
// The transforms of the factors are folded into them before they are
// quantized, so the kernel never sees them: U V = (U T)(T^-1 V) for an
// invertible r x r T = Q diag(s), Q orthogonal (identity, the Sylvester
// Hadamard, or learned on the orthogonal group: TwinTransform) and s the
// per-channel balance of the two factors' ranges.
//
// decodeTwinQuant returns R^ + U^ V^ in the weight domain (the rotation of
// the residual undone), the float product of the decoded components that
// the fused kernel computes as R^ x + U^ (V^ x).
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_FORMAT_TWINQUANT_H
#define ITQ3_FORMAT_TWINQUANT_H

#include "itq3/Format/Calibrated.h"
#include "itq3/Format/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace itq3::format {

/// The orthogonal part Q of the factors' transform.
enum class TwinTransform : uint8_t {
  None,     // Q = I
  Hadamard, // Q = the normalized Sylvester Hadamard (r a power of two)
  Learned,  // Q from Cayley steps that lower the factors' coding error
            // (lib/Format/TwinTransform.h), starting from I
};

struct TwinQuantParams {
  int64_t rank = 32;
  /// Bits of the factors' blocks: 8 (q8) or 4 (q4).
  int factorBits = 8;
  /// q4 of FWHT-256-rotated residual rows (K a multiple of 256).
  bool rotateResidual = false;
  /// Random signs D of the residual's rotation (0: D = I).
  uint64_t signSeed = 0;
  TwinTransform transform = TwinTransform::None;
  /// Per-channel scaling of U's columns against V's rows to equal largest
  /// magnitudes (folded into both).
  bool balance = true;
  /// Randomized SVD: power iterations and seed of its random start.
  int powerIterations = 4;
  uint64_t svdSeed = 1;
};

/// Byte offsets of the three parts (see the file comment).
struct TwinQuantLayout {
  int64_t residualBytes = 0, uBytes = 0, vBytes = 0;
  int64_t totalBytes() const { return residualBytes + uBytes + vBytes; }
  double bitsPerWeight(int64_t rows, int64_t cols) const {
    return 8.0 * double(totalBytes()) / double(rows * cols);
  }
};

/// The layout of an N x K weight, or an error naming what does not fit:
/// N and K multiples of 32 (K of 256 with the rotated residual), rank in
/// [1, min(N, K)], factor bits 4 or 8, Hadamard only for a power-of-two rank.
Status twinQuantLayout(int64_t rows, int64_t cols, const TwinQuantParams &p,
                       TwinQuantLayout &layout);

/// The largest rank whose factors cost at most `bitsPerWeight` over the
/// residual's 4.5 for an N x K weight (0 when not even rank 1 fits).
int64_t twinRankForBudget(int64_t rows, int64_t cols, int factorBits,
                          double bitsPerWeight);

struct TwinEncodeOptions {
  /// Optional per-column importance (length K, >= 0), e.g. the diagonal of
  /// the input's second moment: the SVD is then of W diag(sqrt(importance)),
  /// so that the low-rank part captures what the layer's output sees.
  const float *importance = nullptr;
  /// Optional second moment H [K x K] of the layer's input (weight domain):
  /// the residual is then coded by the calibrated encoder (Calibrated.h,
  /// `calibration`'s mode; in the rotated domain for the rotated residual),
  /// so its error is fed back through H instead of rounded to nearest.
  const float *secondMoment = nullptr;
  CalibratedOptions calibration;
  unsigned threads = 0;
};

/// Encodes w [rows x cols] into `packed` (resized to the layout's bytes).
Status encodeTwinQuant(const float *w, int64_t rows, int64_t cols,
                       const TwinQuantParams &p, const TwinEncodeOptions &o,
                       std::vector<uint8_t> &packed);

/// The decoded components as the fused kernel uses them.
struct TwinComponents {
  std::vector<float> residual; // rows x cols, as stored (rotated if rotated)
  std::vector<float> u;        // rows x rank
  std::vector<float> v;        // rank x cols
};

Status decodeTwinComponents(const uint8_t *packed, int64_t rows, int64_t cols,
                            const TwinQuantParams &p, TwinComponents &out,
                            unsigned threads = 0);

/// dst [rows x cols] = R^ (rotation undone) + U^ V^.
Status decodeTwinQuant(const uint8_t *packed, int64_t rows, int64_t cols,
                       const TwinQuantParams &p, float *dst,
                       unsigned threads = 0);

/// "twinquant r=32 f8 q4r" and the like, for reports.
std::string describeTwinQuant(const TwinQuantParams &p);

} // namespace itq3::format

#endif // ITQ3_FORMAT_TWINQUANT_H
