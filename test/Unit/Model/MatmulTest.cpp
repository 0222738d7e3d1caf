//===- MatmulTest.cpp - Blocked matmul and the thread pool ----------------===//

#include "Matmul.h"
#include "TestUtil.h"
#include "itq3/Model/ThreadPool.h"

#include <atomic>
#include <gtest/gtest.h>

using namespace itq3::model;
using namespace itq3::model::test;

TEST(ThreadPool, EveryIndexExactlyOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1001);
  for (int round = 0; round < 20; ++round)
    pool.parallelFor(1001, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        hits[size_t(i)]++;
    });
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 20);
}

TEST(Matmul, OddShapesMatchTheNaiveProduct) {
  // Sizes that exercise every tail: rows not a multiple of the 2-row and
  // 32-row blocks, n not a multiple of 4, k not a multiple of 4.
  ThreadPool pool(2);
  for (auto [rows, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1},
                            {5, 7, 13}, {33, 9, 6}, {2, 4, 4}}) {
    std::vector<float> in = pseudoRandom(size_t(rows * k), 3),
                       w = pseudoRandom(size_t(n * k), 4),
                       out(size_t(rows * n), -1.0f);
    matmulTransposed(pool, in.data(), rows, w.data(), n, k, out.data());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; ++j) {
        double want = 0;
        for (int64_t i = 0; i < k; ++i)
          want += double(in[size_t(r * k + i)]) * w[size_t(j * k + i)];
        EXPECT_NEAR(out[size_t(r * n + j)], want, 1e-5)
            << rows << "x" << n << "x" << k << " at " << r << "," << j;
      }
  }
  float a[5] = {1, 2, 3, 4, 5}, b[5] = {5, 4, 3, 2, 1};
  EXPECT_EQ(dot(a, b, 5), 35.0f);
}
