// ssm/ssd without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/ssm/ssd.hpp"

namespace seqref::cuda {
Index ssd(const SsdProblem<float>&, std::span<float>, std::span<float>, SsdOptions) {
  detail::not_built("seqref::cuda::ssd");
}
void ssd_chunk_decays(const float*, Index, float*, float*) { detail::not_built("seqref::cuda::ssd_chunk_decays"); }
namespace device {
std::size_t ssd_workspace_bytes(const SsdShape&, Index) { detail::not_built("seqref::cuda::device::ssd_workspace_bytes"); }
void ssd(const float*, const float*, const float*, const float*, const float*, float*, float*, const SsdShape&, Index,
         void*, void*) {
  detail::not_built("seqref::cuda::device::ssd");
}
}  // namespace device
}  // namespace seqref::cuda
