#pragma once
/// \file
/// For builds without CUDA (SEQREF_CUDA=OFF, or no nvcc): every seqref::cuda entry point still exists, so callers
/// link either way; it reports built() == false and throws std::runtime_error if called. The definitions are
/// generated from the public headers by tools/gen-cuda-stubs (optimized/CMakeLists.txt; checked by the CTest test
/// contract.cuda_stubs); only built()/available()/device_name() are written by hand (cuda/backend_not_built.cpp).

#include <stdexcept>
#include <string>

namespace seqref::cuda::detail {
[[noreturn]] inline void not_built(const char* fn) {
  throw std::runtime_error(std::string(fn) + ": seqref was built without CUDA (configure with SEQREF_CUDA=ON)");
}
}  // namespace seqref::cuda::detail
