// seqref built without its CUDA backend: no device can be used.
#include "seqref/opt/backend.hpp"

namespace seqref::cuda {
bool built() { return false; }
bool available() { return false; }
std::string device_name() { return {}; }
}  // namespace seqref::cuda
