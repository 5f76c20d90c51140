// seqref built without CUDA: seqref::cuda::rtf_kernel (seqref/opt/ssm/rtf.hpp) exists and throws.
#include "seqref/opt/ssm/rtf.hpp"

#include "../not_built.hpp"

namespace seqref::cuda {

void rtf_kernel(const float*, const float*, float*, Index, Index, Index) {
  detail::not_built("seqref::cuda::rtf_kernel");
}

}  // namespace seqref::cuda
