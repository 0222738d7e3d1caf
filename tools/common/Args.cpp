//===- Args.cpp - Command-line errors and number parsing of the tools -----===//
#include "Args.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace itq3 {

static const char *toolName = "itq3";

void setToolName(const char *name) { toolName = name; }

void fail(const std::string &msg) {
  std::fprintf(stderr, "%s: error: %s\n", toolName, msg.c_str());
  std::exit(1);
}

std::string readFileOrFail(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t parseInt(const std::string &flag, const std::string &v) {
  char *end;
  errno = 0;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || x < 0)
    fail(flag + " expects a non-negative integer, got '" + v + "'");
  return x;
}

float parseFloat(const std::string &flag, const std::string &v, float lo,
                 float hi) {
  char *end;
  float x = std::strtof(v.c_str(), &end);
  if (v.empty() || *end || !(x >= lo && x <= hi))
    fail(flag + " expects a number in [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "], got '" + v + "'");
  return x;
}

} // namespace itq3
