// seqref built without CUDA: the seqref::cuda FFT entry points of seqref/opt/ssm/fft.hpp exist and throw.
#include "seqref/opt/ssm/fft.hpp"

#include "../not_built.hpp"

namespace seqref::cuda {

void dft_batched(std::complex<float>*, Index, Index, bool) { detail::not_built("seqref::cuda::dft_batched"); }
void causal_conv(const float*, const float*, float*, Index, Index) { detail::not_built("seqref::cuda::causal_conv"); }
namespace device {
void dft_batched(std::complex<float>*, Index, Index, bool, void*) {
  detail::not_built("seqref::cuda::device::dft_batched");
}
}  // namespace device

}  // namespace seqref::cuda
