// What the CUDA backend can do here: it is built (this file is only compiled with SEQREF_CUDA=ON); whether a
// device is usable is asked of the runtime each time, and any failure (no driver, no device, driver too old)
// means "not available" rather than an exception.
#include "seqref/opt/backend.hpp"

#include <cuda_runtime.h>

#include <string>

namespace seqref::cuda {

bool built() { return true; }

bool available() {
  try {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();  // clear the (non-sticky) error so later calls do not report it
      return false;
    }
    return count > 0;
  } catch (...) {
    return false;
  }
}

std::string device_name() {
  if (!available()) return {};
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    return {};
  }
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
}

}  // namespace seqref::cuda
