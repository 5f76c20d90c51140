// Optimized FFTs without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/ssm/fft.hpp"

namespace seqref::cuda {
void dft_batched(std::complex<float>*, Index, Index, bool) { detail::not_built("seqref::cuda::dft_batched"); }
void causal_conv(const float*, const float*, float*, Index, Index) { detail::not_built("seqref::cuda::causal_conv"); }
namespace device {
void dft_batched(std::complex<float>*, Index, Index, bool, void*) {
  detail::not_built("seqref::cuda::device::dft_batched");
}
}  // namespace device
}  // namespace seqref::cuda
