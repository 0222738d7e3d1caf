//===- BundleSeeds.cpp - Write the bundle fuzzer's seed corpus ------------===//
//
//   itq3-bundle-seeds DIR    writes a few valid bundles into DIR
//
//===----------------------------------------------------------------------===//
#include "SampleBundle.h"

#include <cstdio>

using namespace itq3;

namespace {

bool save(const std::string &dir, const char *name, const rt::BundleWriter &w) {
  std::string path = dir + "/" + name;
  rt::Status s = w.write(path);
  if (!s)
    std::fprintf(stderr, "itq3-bundle-seeds: %s\n", s.message().c_str());
  return s.ok();
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: itq3-bundle-seeds DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  rt::BundleWriter full;
  test::fillSampleBundle(full);
  rt::BundleWriter minimal; // meta only: no tensors, functions or code
  minimal.meta.maxContext = 16;
  minimal.meta.prefillChunk = 16;
  minimal.meta.config = {{"dim", "8"}};
  rt::BundleWriter tensorsOnly = minimal;
  tensorsOnly.addTensor(test::tensorInfo("w", {4, 4}, "f32"),
                        test::pattern(64, 1));
  bool ok = save(dir, "sample.itq3", full) &&
            save(dir, "minimal.itq3", minimal) &&
            save(dir, "tensors-only.itq3", tensorsOnly);
  return ok ? 0 : 1;
}
