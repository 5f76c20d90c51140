// ssm/hippo without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/ssm/hippo.hpp"

namespace seqref::cuda {
void hippo_legs_online(ConstTensorView<float>, TensorView<float>, LegsOnlineOptions) {
  detail::not_built("seqref::cuda::hippo_legs_online");
}
namespace device {
void hippo_legs_online(const float*, float*, Index, Index, Index, LegsOnlineOptions, void*) {
  detail::not_built("seqref::cuda::device::hippo_legs_online");
}
}  // namespace device
}  // namespace seqref::cuda
