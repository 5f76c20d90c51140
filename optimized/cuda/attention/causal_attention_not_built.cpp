// attention/causal_attention without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/attention/causal_attention.hpp"

namespace seqref::cuda {
void causal_attention(ConstTensorView<float>, ConstTensorView<float>, ConstTensorView<float>, TensorView<float>,
                      float) {
  detail::not_built("seqref::cuda::causal_attention");
}
void causal_attention(ConstTensorView<bf16>, ConstTensorView<bf16>, ConstTensorView<bf16>, TensorView<float>,
                      float) {
  detail::not_built("seqref::cuda::causal_attention");
}
namespace device {
void causal_attention(const float*, const float*, const float*, float*, Index, Index, Index, Index, float, void*) {
  detail::not_built("seqref::cuda::device::causal_attention");
}
void causal_attention(const bf16*, const bf16*, const bf16*, float*, Index, Index, Index, Index, float, void*) {
  detail::not_built("seqref::cuda::device::causal_attention");
}
}  // namespace device
}  // namespace seqref::cuda
