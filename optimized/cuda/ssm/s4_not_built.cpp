// ssm/s4 without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/ssm/s4.hpp"

namespace seqref::cuda {
void cauchy_kernel(const std::complex<float>*, const std::complex<float>*, const std::complex<float>*,
                   std::complex<float>*, Index, Index, Index) {
  detail::not_built("seqref::cuda::cauchy_kernel");
}
void vandermonde_kernel(const std::complex<float>*, const std::complex<float>*, float*, Index, Index, Index) {
  detail::not_built("seqref::cuda::vandermonde_kernel");
}
}  // namespace seqref::cuda
