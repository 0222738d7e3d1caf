//===- ThreadPool.h - A persistent pool for parallel loops ------*- C++ -*-===//
//
// The forward pass runs a few hundred parallel loops per token; starting
// threads for each would cost more than a small model's matmuls, so workers
// are started once and woken per loop.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_THREADPOOL_H
#define ITQ3_MODEL_THREADPOOL_H

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace itq3::model {

class ThreadPool {
public:
  /// threads = 0 picks std::thread::hardware_concurrency().
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return unsigned(workers_.size()) + 1; }
  /// Calls fn(begin, end) on disjoint chunks covering [0, n), in parallel;
  /// the calling thread takes part. Returns when every chunk is done.
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &fn);

private:
  void workerLoop();
  void runChunks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *job_ = nullptr;
  int64_t n_ = 0, chunk_ = 1, nextChunk_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

} // namespace itq3::model

#endif // ITQ3_MODEL_THREADPOOL_H
