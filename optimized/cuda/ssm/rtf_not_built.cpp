// ssm/rtf without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/ssm/rtf.hpp"

namespace seqref::cuda {
void rtf_kernel(const float*, const float*, float*, Index, Index, Index) { detail::not_built("seqref::cuda::rtf_kernel"); }
}  // namespace seqref::cuda
