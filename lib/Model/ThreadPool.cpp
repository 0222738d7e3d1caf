//===- ThreadPool.cpp - A persistent pool for parallel loops --------------===//

#include "itq3/Model/ThreadPool.h"

#include <algorithm>

namespace itq3::model {

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

/// Takes chunks until none is left; the mutex is held only to claim one.
void ThreadPool::runChunks() {
  for (;;) {
    int64_t begin;
    const std::function<void(int64_t, int64_t)> *job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!job_ || nextChunk_ >= n_)
        return;
      begin = nextChunk_;
      nextChunk_ += chunk_;
      job = job_;
    }
    (*job)(begin, std::min(begin + chunk_, n_));
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ -= 1;
    if (pending_ == 0)
      done_.notify_all();
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
    }
    runChunks();
  }
}

void ThreadPool::parallelFor(int64_t n,
                             const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0)
    return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A few chunks per thread balance uneven work without much locking.
    chunk_ = std::max<int64_t>(1, n / (int64_t(size()) * 4));
    n_ = n;
    nextChunk_ = 0;
    pending_ = (n + chunk_ - 1) / chunk_;
    job_ = &fn;
    ++generation_;
  }
  wake_.notify_all();
  runChunks();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

} // namespace itq3::model
