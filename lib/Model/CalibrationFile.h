//===- CalibrationFile.h - Writing the statistics file (internal) ---------===//
#ifndef ITQ3_LIB_MODEL_CALIBRATIONFILE_H
#define ITQ3_LIB_MODEL_CALIBRATIONFILE_H

#include "itq3/Model/Calibration.h"

#include <fstream>

namespace itq3::model {

/// One statistic of the file, in file order: its name, the first linear of
/// the group that reads it (what Forward's observer reports), its K.
struct CalibrationEntry {
  std::string name;
  const char *first;
  int64_t k;
};
std::vector<CalibrationEntry> calibrationEntries(const Model &m);

/// Bytes of the upper triangle of a K x K f32 matrix.
uint64_t triangleBytes(int64_t k);

/// The header and entry table, offsets included (the entries follow in
/// order, each written with writeCalibrationEntry).
Status writeCalibrationHeader(std::ofstream &os, const Model &m, int64_t tokens,
                              const std::vector<CalibrationEntry> &entries);
/// The upper triangle of h (K x K) times scale.
Status writeCalibrationEntry(std::ofstream &os, const float *h, int64_t k,
                             float scale);

} // namespace itq3::model

#endif // ITQ3_LIB_MODEL_CALIBRATIONFILE_H
