// rnn/deer without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/rnn/deer.hpp"

namespace seqref::cuda {
DeerResult<float> deer(const TanhCell<float>&, std::span<const float>, std::span<const float>,
                       const DeerOptions<float>&) {
  detail::not_built("seqref::cuda::deer");
}
std::vector<float> rnn_sequential(const TanhCell<float>&, std::span<const float>, std::span<const float>) {
  detail::not_built("seqref::cuda::rnn_sequential");
}
}  // namespace seqref::cuda
