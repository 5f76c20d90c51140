// Reference scan engine: the sequential loop x_t = J_t x_{t−1} + b_t (see seqref/ref/scan/linear_recurrence.hpp).

#include "seqref/ref/scan/linear_recurrence.hpp"

#include "seqref/core/oracle.hpp"

#include <vector>

namespace seqref {

std::string_view to_string(Transition kind) {
  switch (kind) {
    case Transition::scalar: return "scalar";
    case Transition::diagonal: return "diagonal";
    case Transition::dense: return "dense";
  }
  return "?";
}

}  // namespace seqref

namespace seqref::ref {

template <class S>
void recurrence_step(Transition kind, std::span<const S> J, std::span<const S> b, std::span<S> x) {
  const Index D = static_cast<Index>(x.size());
  switch (kind) {
    case Transition::scalar:
      for (Index i = 0; i < D; ++i) x[i] = J[0] * x[i] + b[i];
      break;
    case Transition::diagonal:
      for (Index i = 0; i < D; ++i) x[i] = J[i] * x[i] + b[i];
      break;
    case Transition::dense: {
      std::vector<S> prev(x.begin(), x.end());
      for (Index i = 0; i < D; ++i) {
        S acc = S(0);
        for (Index j = 0; j < D; ++j) acc += J[i * D + j] * prev[static_cast<std::size_t>(j)];
        x[i] = acc + b[i];
      }
      break;
    }
  }
}

template <class S>
void linear_recurrence(const LinearRecurrence<S>& p, std::span<S> x, std::span<S> x_final) {
  constexpr std::string_view fn = "seqref::ref::linear_recurrence";
  detail::check_linear_recurrence<S>(fn, p, x, x_final);
  const Index B = p.batch, T = p.len, D = p.dim, JD = transition_size(p.kind, D);
  std::vector<S> state(static_cast<std::size_t>(D));
  for (Index beta = 0; beta < B; ++beta) {
    for (Index i = 0; i < D; ++i) state[static_cast<std::size_t>(i)] = p.x0.empty() ? S(0) : p.x0[beta * D + i];
    for (Index t = 0; t < T; ++t) {
      const Index step = beta * T + t;
      recurrence_step<S>(p.kind, p.J.subspan(static_cast<std::size_t>(step * JD), static_cast<std::size_t>(JD)),
                         p.b.subspan(static_cast<std::size_t>(step * D), static_cast<std::size_t>(D)), state);
      if (!x.empty())
        for (Index i = 0; i < D; ++i) x[step * D + i] = state[static_cast<std::size_t>(i)];
    }
    if (!x_final.empty())
      for (Index i = 0; i < D; ++i) x_final[beta * D + i] = state[static_cast<std::size_t>(i)];
  }
}

#define SEQREF_INSTANTIATE_SCAN(S)                                                                    \
  template void recurrence_step<S>(Transition, std::span<const S>, std::span<const S>, std::span<S>); \
  template void linear_recurrence<S>(const LinearRecurrence<S>&, std::span<S>, std::span<S>);
SEQREF_INSTANTIATE_SCAN(float)
SEQREF_INSTANTIATE_SCAN(double)
SEQREF_INSTANTIATE_SCAN(Oracle)
// The judge's precisions (seqref::judge): the yardstick of 16-bit candidates, the truth of float64 ones; also what
// selective scan and SSD call in those precisions.
SEQREF_INSTANTIATE_SCAN(Eigen::half)
SEQREF_INSTANTIATE_SCAN(Eigen::bfloat16)
SEQREF_INSTANTIATE_SCAN(long double)
#undef SEQREF_INSTANTIATE_SCAN

}  // namespace seqref::ref
