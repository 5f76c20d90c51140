// seqref built without its CUDA backend (SEQREF_CUDA=OFF or no nvcc): the seqref::cuda entry points exist so that
// callers link either way, report built() == false, and throw if called.
#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/opt/backend.hpp"

#include <stdexcept>

namespace seqref::cuda {
namespace {
[[noreturn]] void not_built(const char* fn) {
  throw std::runtime_error(std::string(fn) + ": seqref was built without CUDA (configure with SEQREF_CUDA=ON)");
}
}  // namespace

bool built() { return false; }
bool available() { return false; }
std::string device_name() { return {}; }

void causal_attention(ConstTensorView<float>, ConstTensorView<float>, ConstTensorView<float>, TensorView<float>,
                      float) {
  not_built("seqref::cuda::causal_attention");
}
void causal_attention(ConstTensorView<bf16>, ConstTensorView<bf16>, ConstTensorView<bf16>, TensorView<float>,
                      float) {
  not_built("seqref::cuda::causal_attention");
}
namespace device {
void causal_attention(const float*, const float*, const float*, float*, Index, Index, Index, Index, float, void*) {
  not_built("seqref::cuda::device::causal_attention");
}
void causal_attention(const bf16*, const bf16*, const bf16*, float*, Index, Index, Index, Index, float, void*) {
  not_built("seqref::cuda::device::causal_attention");
}
}  // namespace device
}  // namespace seqref::cuda
