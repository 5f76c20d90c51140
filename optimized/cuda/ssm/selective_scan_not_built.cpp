// ssm/selective_scan without CUDA: the entry points throw (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/ssm/selective_scan.hpp"

namespace seqref::cuda {
Index selective_scan(const SelectiveScan<float>&, std::span<float>, std::span<float>, ScanSchedule) {
  detail::not_built("seqref::cuda::selective_scan");
}
namespace device {
Index selective_scan(const SelectiveScan<float>&, float*, float*, Index, void*) {
  detail::not_built("seqref::cuda::device::selective_scan");
}
}  // namespace device
}  // namespace seqref::cuda
