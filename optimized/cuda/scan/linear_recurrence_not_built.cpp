// The scan engine's CUDA entry point without CUDA: throws (see optimized/cuda/not_built.hpp).
#include "../not_built.hpp"
#include "seqref/opt/scan/linear_recurrence.hpp"

namespace seqref::cuda {
Index linear_recurrence(const LinearRecurrence<float>& problem, std::span<float> x, std::span<float> x_final,
                        ScanSchedule) {
  detail::check_linear_recurrence<float>("seqref::cuda::linear_recurrence", problem, x, x_final);
  detail::not_built("seqref::cuda::linear_recurrence");
}
}  // namespace seqref::cuda
