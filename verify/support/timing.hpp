#pragma once
/// \file
/// Wall-clock median of a few runs, for the report's "speedup vs reference" column only. Tests never assert on
/// time; regression tracking is Google Benchmark's job (verify/bench).

#include <algorithm>
#include <chrono>
#include <vector>

namespace seqref::verify {

template <class F>
double median_seconds(F&& f, int runs = 3) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace seqref::verify
